import { GrantService } from './admin/grants.js';
import type { AuditRecorder } from './audit.js';
import { ValidationError } from './errors.js';
import { checkPasswordPolicy, hashPassword } from './password.js';
import type { SessionService, SignInSession } from './sessions.js';
import type { ClientStore, ConsentStore, GrantStore, ScopeStore, TenantStore, ThrottleStore, UserStore } from './storage.js';
import type { User } from './types.js';
import { authenticateUser, LoginError, type UserAuthDeps } from './user-auth.js';

/**
 * The end user's /account (issue 14): sign in (the same sign-in session as
 * /oauth/authorize), see the applications connected to the account, revoke one, change
 * the password, sign out. Each function returns what the page shows, or what happened;
 * the route sets the cookies and checks the forms' CSRF tokens (core/sessions.ts).
 */

/** One application the user gave access to: its live grants, taken together. */
export interface ConnectedApplication {
  clientId: string;
  /** The client's name, or a placeholder when the client was deleted. */
  clientName: string;
  /** The display name of the tenant (organisation) that registered the client. */
  organisation: string;
  /** Every scope granted (sorted), with its description from the client's tenant's catalogue. */
  scopes: { name: string; description: string }[];
  /** The tenants (workspaces) the application may reach, by display name. */
  tenants: { slug: string; name: string }[];
  /** When access was first granted (the oldest live grant). */
  grantedAt: number;
  /** The latest code exchange or refresh; null when not recorded. */
  lastUsedAt: number | null;
}

export interface AccountPageModel {
  username: string;
  applications: ConnectedApplication[];
}

/** What a sign-in attempt came to. */
export type AccountSignIn =
  | { kind: 'signed-in'; token: string; maxAgeSeconds: number }
  /** The form again: `status` 401 (one message whatever failed) or 429 (`retryAfter` seconds). */
  | { kind: 'refused'; status: 401 | 429; error: string; retryAfter?: number };

export interface PasswordChange {
  current: string;
  next: string;
  again: string;
}

/** What a password change came to: done (the other sessions ended), or the problem to show. */
export type PasswordChangeOutcome = { kind: 'changed'; endedSessions: number } | { kind: 'refused'; status: 400 | 401 | 429; error: string; retryAfter?: number };

export interface AccountDeps {
  users: Pick<UserStore, 'findUser' | 'findUserByUsername' | 'setPassword'>;
  grants: Pick<GrantStore, 'listGrantsOfUser' | 'findGrant' | 'revokeGrant'>;
  clients: Pick<ClientStore, 'findClient'>;
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  scopes: Pick<ScopeStore, 'listScopes'>;
  consents: Pick<ConsentStore, 'deleteConsent'>;
  sessions: Pick<SessionService, 'start' | 'resume' | 'end' | 'endAll'>;
  throttle: ThrottleStore;
  audit: AuditRecorder;
  config: UserAuthDeps['config'];
  clock?: () => number;
}

/** The actor of the audit events a user causes on /account. */
export const userActor = (user: Pick<User, 'username'>) => `user:${user.username}`;

const SIGN_IN_FAILED = 'Incorrect username or password.';
const THROTTLED = 'Too many failed sign-in attempts. Wait a minute, then try again.';

export class AccountService {
  private readonly clock: () => number;

  constructor(private readonly deps: AccountDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Checks the password as the authorization login page does (the same throttling, the
   * same single message), then starts a sign-in session with a fresh token, ending the
   * one the browser had.
   */
  async signIn(attempt: { username: string; password: string; ip: string }, previousToken: string | undefined): Promise<AccountSignIn> {
    let user: User;
    try {
      user = await authenticateUser(attempt, this.deps, this.clock());
    } catch (error) {
      if (!(error instanceof LoginError)) throw error;
      if (error.code === 'throttled') return { kind: 'refused', status: 429, error: THROTTLED, retryAfter: error.retryAfter ?? 60 };
      return { kind: 'refused', status: 401, error: SIGN_IN_FAILED };
    }
    if (previousToken !== undefined) await this.deps.sessions.end(previousToken);
    const { token, session } = await this.deps.sessions.start('user', user.id);
    return { kind: 'signed-in', token, maxAgeSeconds: Math.ceil((session.absoluteExpiresAt - session.createdAt) / 1000) };
  }

  /** The signed-in user of a live session (reloaded: enabled); undefined when nobody is signed in. */
  async current(token: string | undefined): Promise<{ session: SignInSession; user: User } | undefined> {
    const session = await this.deps.sessions.resume('user', token);
    if (!session) return undefined;
    const user = await this.deps.users.findUser(session.subjectId);
    return user && !user.disabled ? { session, user } : undefined;
  }

  /** Ends the session (logout). */
  async signOut(token: string | undefined): Promise<void> {
    await this.deps.sessions.end(token);
  }

  /** The page of a signed-in user: the applications connected, newest grant first. */
  async overview(user: User): Promise<AccountPageModel> {
    const now = this.clock();
    const live = (await this.deps.grants.listGrantsOfUser(user.id)).filter((grant) => grant.revokedAt === null && grant.absoluteExpiresAt > now);
    const byClient = new Map<string, typeof live>();
    for (const grant of live) byClient.set(grant.clientId, [...(byClient.get(grant.clientId) ?? []), grant]);
    const tenantNames = new Map<string, string>();
    const tenantName = async (slug: string) => {
      if (!tenantNames.has(slug)) tenantNames.set(slug, (await this.deps.tenants.findTenantBySlug(slug))?.name ?? slug);
      return tenantNames.get(slug)!;
    };
    const applications: ConnectedApplication[] = [];
    for (const [clientId, grants] of byClient) {
      const client = await this.deps.clients.findClient(clientId);
      const catalogue = client?.tenantId ? new Map((await this.deps.scopes.listScopes(client.tenantId)).map((scope) => [scope.name, scope.description])) : new Map<string, string>();
      const scopes = [...new Set(grants.flatMap((grant) => grant.scope))].sort();
      const slugs = [...new Set(grants.flatMap((grant) => grant.tenants))].sort();
      const used = grants.map((grant) => grant.lastUsedAt).filter((time): time is number => time !== null);
      applications.push({
        clientId,
        clientName: client?.name ?? 'Removed application',
        // An operator client has no tenant, but also no grants (client_credentials only).
        organisation: client?.tenantSlug ? await tenantName(client.tenantSlug) : '',
        scopes: scopes.map((name) => ({ name, description: catalogue.get(name) ?? '' })),
        tenants: await Promise.all(slugs.map(async (slug) => ({ slug, name: await tenantName(slug) }))),
        grantedAt: Math.min(...grants.map((grant) => grant.createdAt)),
        lastUsedAt: used.length > 0 ? Math.max(...used) : null,
      });
    }
    applications.sort((a, b) => b.grantedAt - a.grantedAt || a.clientName.localeCompare(b.clientName));
    return { username: user.username, applications };
  }

  /**
   * Revoke: every live grant of the user to the client is revoked (its refresh tokens at
   * once, its access tokens through the revocation feed) and the remembered consent
   * forgotten, through GrantService.revoke, recorded as `grant.revoke` by the user.
   * Returns how many grants were revoked (0: nothing of the user's to revoke).
   */
  async revokeApplication(user: User, clientId: string): Promise<number> {
    const now = this.clock();
    const grants = (await this.deps.grants.listGrantsOfUser(user.id)).filter((grant) => grant.clientId === clientId && grant.revokedAt === null && grant.absoluteExpiresAt > now);
    const service = new GrantService({ ...this.deps, audit: { recorder: this.deps.audit, actor: userActor(user) }, clock: this.clock });
    for (const grant of grants) await service.revoke(grant.id);
    return grants.length;
  }

  /**
   * Changes the password: the current one is checked as a sign-in is (throttled alike),
   * the new one typed twice and held to the policy of `gatehouse user create`. Every other
   * sign-in session of the user ends (this one stays). Recorded as `user.change_password`.
   */
  async changePassword(user: User, session: SignInSession, change: PasswordChange, ip: string): Promise<PasswordChangeOutcome> {
    try {
      await authenticateUser({ username: user.username, password: change.current, ip }, this.deps, this.clock());
    } catch (error) {
      if (!(error instanceof LoginError)) throw error;
      if (error.code === 'throttled') return { kind: 'refused', status: 429, error: THROTTLED, retryAfter: error.retryAfter ?? 60 };
      return { kind: 'refused', status: 401, error: 'The current password is not correct.' };
    }
    if (change.next !== change.again) return { kind: 'refused', status: 400, error: 'The new password and its repetition differ.' };
    try {
      checkPasswordPolicy(change.next);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { kind: 'refused', status: 400, error: `The new password is not acceptable: ${error.message}.` };
    }
    await this.deps.users.setPassword(user.id, await hashPassword(change.next));
    const endedSessions = await this.deps.sessions.endAll('user', user.id, { except: session.id });
    await this.deps.audit.record({ actor: userActor(user), tenant: null, action: 'user.change_password', target: user.username, outcome: 'success', details: { sessions: endedSessions } });
    return { kind: 'changed', endedSessions };
  }
}
