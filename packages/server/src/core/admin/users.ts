import { NotFoundError, ValidationError } from '../errors.js';
import { checkPasswordPolicy, hashPassword } from '../password.js';
import type { ConsentStore, GrantStore, SessionStore, TenantStore, UserStore } from '../storage.js';
import type { User } from '../types.js';
import { checkUsername } from '../username.js';
import { audited, type AdminAudit } from './audited.js';
import { requireTenant, requireUser } from './lookups.js';

export interface UserServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  users: Pick<UserStore, 'createUser' | 'findUserByUsername' | 'addUserToTenant' | 'removeUserFromTenant' | 'listUsers' | 'setPassword' | 'setDisabled' | 'deleteUser'>;
  grants: Pick<GrantStore, 'revokeGrantsOfUser' | 'revokeGrantsOfUserInTenant'>;
  consents: Pick<ConsentStore, 'removeTenantFromConsents'>;
  /** The users' sign-in sessions: disabling, a new password and revoke-sessions end them. */
  sessions: Pick<SessionStore, 'endSessionsOf'>;
  audit: AdminAudit;
  clock?: () => number;
}

export interface CreateUserInput {
  tenant: string;
  username: string;
  password: string;
}

/** The users who log in to grant applications access. Passwords are never returned. */
export class UserService {
  private readonly clock: () => number;

  constructor(private readonly deps: UserServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Creates a user in a tenant. The password must pass the policy (at least 10
   * characters); only its scrypt hash is stored. ConflictError when the username is
   * taken in any letter case. Recorded as `user.create` (never the password).
   */
  create(input: CreateUserInput): Promise<User> {
    return audited(this.deps.audit, 'user.create', { tenant: input.tenant, target: input.username }, () => this.createUser(input), (user) => ({ target: user.username, tenant: soleTenantOf(user) }));
  }

  private async createUser(input: CreateUserInput): Promise<User> {
    checkUsername(input.username);
    checkPasswordPolicy(input.password);
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    const passwordHash = await hashPassword(input.password);
    return this.deps.users.createUser({ username: input.username, passwordHash, tenantIds: [tenant.id] });
  }

  /** Adds the user to another tenant; `added` is false when it belonged to it already. Recorded as `user.add_tenant`. */
  addToTenant(username: string, tenantSlug: string): Promise<{ user: User; added: boolean }> {
    return audited(this.deps.audit, 'user.add_tenant', { tenant: tenantSlug, target: username }, () => this.addUserToTenant(username, tenantSlug), ({ user, added }) => ({
      target: user.username,
      details: { added },
    }));
  }

  private async addUserToTenant(username: string, tenantSlug: string): Promise<{ user: User; added: boolean }> {
    const user = await requireUser(this.deps.users, username);
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    const added = await this.deps.users.addUserToTenant(user.id, tenant.id);
    return { user: await requireUser(this.deps.users, username), added };
  }

  /**
   * Removes the user from a tenant. Its applications lose that tenant at once: every
   * live grant of the user that includes the tenant is revoked (refresh and access
   * tokens; a grant covering other tenants too is revoked whole, the user authorizes
   * again), and the tenant is dropped from the user's remembered consents (a consent
   * left with no tenant is forgotten). Refuses to remove the user's last tenant
   * (ValidationError): a user belongs to at least one tenant; disable it instead.
   * NotFoundError when the user does not belong to the tenant. Recorded as `user.remove_tenant`.
   */
  removeFromTenant(username: string, tenantSlug: string): Promise<{ user: User; revokedGrants: number }> {
    return audited(this.deps.audit, 'user.remove_tenant', { tenant: tenantSlug, target: username }, () => this.removeUserFromTenant(username, tenantSlug), ({ user }) => ({
      target: user.username,
    }));
  }

  private async removeUserFromTenant(username: string, tenantSlug: string): Promise<{ user: User; revokedGrants: number }> {
    const user = await requireUser(this.deps.users, username);
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    const outcome = await this.deps.users.removeUserFromTenant(user.id, tenant.id);
    if (outcome === 'not_member') throw new NotFoundError(`user ${user.username} does not belong to tenant "${tenantSlug}"`);
    if (outcome === 'last_tenant') {
      throw new ValidationError(`"${tenantSlug}" is the last tenant of user ${user.username}: a user belongs to at least one tenant (add another first, or disable the user: gatehouse user disable ${user.username})`);
    }
    const revokedGrants = await this.deps.grants.revokeGrantsOfUserInTenant(user.id, tenant.slug, this.clock());
    await this.deps.consents.removeTenantFromConsents(user.id, tenant.slug);
    return { user: await requireUser(this.deps.users, username), revokedGrants };
  }

  /** The user (any letter case of its username); NotFoundError when there is none. */
  get(username: string): Promise<User> {
    return requireUser(this.deps.users, username);
  }

  async list(tenantSlug: string): Promise<User[]> {
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    return this.deps.users.listUsers(tenant.id);
  }

  /**
   * Replaces the user's password (same policy as create; an operator's reset) and ends
   * every sign-in session of the user, on every process, in one transaction: whoever knew
   * the old password is signed out. The user's grants stay (the applications it connected
   * keep working; revoke them with the grant commands, or disable the user). Recorded as
   * `user.set_password` (never the password).
   */
  setPassword(username: string, password: string): Promise<User> {
    return audited(this.deps.audit, 'user.set_password', { tenant: null, target: username }, () => this.replacePassword(username, password), (user) => ({ target: user.username, tenant: soleTenantOf(user) }));
  }

  private async replacePassword(username: string, password: string): Promise<User> {
    checkPasswordPolicy(password);
    const user = await requireUser(this.deps.users, username);
    const updated = await this.deps.users.setPassword(user.id, await hashPassword(password), { endSessions: true });
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    return updated;
  }

  /**
   * Ends every sign-in session of the user (/oauth/authorize and /account ask for the
   * password again), on every process: they are in the database. The user's grants are
   * left alone (revoke them with the grant commands). Recorded as `user.revoke_sessions`.
   */
  revokeSessions(username: string): Promise<{ user: User; ended: number }> {
    return audited(this.deps.audit, 'user.revoke_sessions', { tenant: null, target: username }, () => this.endSessions(username), ({ user, ended }) => ({
      target: user.username,
      tenant: soleTenantOf(user),
      details: { sessions: ended },
    }));
  }

  private async endSessions(username: string): Promise<{ user: User; ended: number }> {
    const user = await requireUser(this.deps.users, username);
    return { user, ended: await this.deps.sessions.endSessionsOf('user', user.id) };
  }

  /**
   * Disables the user: it can no longer log in, its sign-in sessions end (every process),
   * its grants are revoked for good (enabling brings none back: the user authorizes
   * again), and its revocation epoch rises, in one transaction (UserStore.setDisabled).
   * Recorded as `user.disable`.
   */
  disable(username: string): Promise<User> {
    return audited(this.deps.audit, 'user.disable', { tenant: null, target: username }, () => this.setDisabled(username, true), (user) => ({ target: user.username, tenant: soleTenantOf(user) }));
  }

  /** Re-enables a disabled user. Recorded as `user.enable`. */
  enable(username: string): Promise<User> {
    return audited(this.deps.audit, 'user.enable', { tenant: null, target: username }, () => this.setDisabled(username, false), (user) => ({ target: user.username, tenant: soleTenantOf(user) }));
  }

  /**
   * Deletes the user for good (a hard delete: the account, its memberships and its
   * remembered consents are erased, and the username becomes free again). In this order,
   * so that a failure half-way leaves a disabled user the operator can delete again:
   * the user is disabled (no new login or code exchange, its revocation epoch rises),
   * every grant of the user is revoked (refresh tokens stop at once, access tokens
   * through the revocation feed), then the account is erased. The audit log keeps the
   * `user.delete` event with the username. Returns the user as it was.
   */
  delete(username: string): Promise<User> {
    return audited(this.deps.audit, 'user.delete', { tenant: null, target: username }, () => this.deleteUser(username), (user) => ({ target: user.username, tenant: soleTenantOf(user) }));
  }

  private async deleteUser(username: string): Promise<User> {
    const user = await requireUser(this.deps.users, username);
    if (!user.disabled) await this.deps.users.setDisabled(user.id, true);
    await this.deps.grants.revokeGrantsOfUser(user.id, this.clock());
    if (!(await this.deps.users.deleteUser(user.id))) throw new NotFoundError(`no user "${username}"`);
    return user;
  }

  private async setDisabled(username: string, disabled: boolean): Promise<User> {
    const user = await requireUser(this.deps.users, username);
    // Disabling ends the sessions and revokes every grant in the same transaction
    // (UserStore.setDisabled): a failure half-way cannot leave a grant to resurrect.
    const updated = await this.deps.users.setDisabled(user.id, disabled);
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    return updated;
  }
}

/**
 * The tenant an event about a user is recorded under: the user's only tenant, so that the
 * tenant's admins see it in their audit log (they may change only users of theirs alone);
 * null for a user of several tenants (an operator's action, in no one tenant's log).
 */
function soleTenantOf(user: User): string | null {
  return user.tenants.length === 1 ? user.tenants[0]!.slug : null;
}
