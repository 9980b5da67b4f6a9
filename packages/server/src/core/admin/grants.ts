import { NotFoundError, ValidationError } from '../errors.js';
import type { ClientStore, ConsentStore, GrantStore, UserStore } from '../storage.js';
import type { AuthorizationGrant, User } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { requireUser } from './lookups.js';

export interface GrantServiceDeps {
  users: Pick<UserStore, 'findUserByUsername' | 'findUser'>;
  clients: Pick<ClientStore, 'findClient'>;
  grants: Pick<GrantStore, 'listGrantsOfUser' | 'findGrant' | 'revokeGrant'>;
  consents: Pick<ConsentStore, 'deleteConsent'>;
  audit: AdminAudit;
  clock?: () => number;
}

/** A grant as an operator sees it: with its client's name (null when the client is gone) and tenant. */
export interface GrantView {
  grant: AuthorizationGrant;
  clientName: string | null;
  /** The slug of the client's tenant (null when the client is gone). */
  clientTenant: string | null;
  /** The username of the grant's user (null when the user is gone). */
  username: string | null;
}

export interface RevokedGrant extends GrantView {
  /** False when the grant was revoked already (revoking is idempotent). */
  revoked: boolean;
  /** True when a remembered consent of the user for the client was forgotten. */
  consentForgotten: boolean;
}

/** A grant id as the token endpoint creates it (a UUID); anything else names no grant. */
const GRANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The grants users gave applications (one per code exchange): listing and revoking them. */
export class GrantService {
  private readonly clock: () => number;

  constructor(private readonly deps: GrantServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Every grant of the user, revoked ones included, oldest first. NotFoundError for an unknown user. */
  async listOfUser(username: string): Promise<GrantView[]> {
    const user = await requireUser(this.deps.users, username);
    const grants = await this.deps.grants.listGrantsOfUser(user.id);
    return Promise.all(grants.map((grant) => this.view(grant, user)));
  }

  /**
   * Revokes the grant: its refresh tokens stop at once, its access tokens through the
   * revocation feed and introspection (GrantStore.revokeGrant). It also forgets the
   * user's remembered consent for the grant's client, so the next authorization of that
   * client asks the user again; the user's other grants to that client stay live (revoke
   * them one by one). Idempotent: a revoked grant keeps its revocation time. Recorded as
   * `grant.revoke` (target: the grant id).
   */
  revoke(grantId: string): Promise<RevokedGrant> {
    return audited(this.deps.audit, 'grant.revoke', { tenant: null, target: grantId }, () => this.revokeGrant(grantId), (result) => ({
      tenant: result.clientTenant,
      details: { grant: result.grant.id },
    }));
  }

  private async revokeGrant(grantId: string): Promise<RevokedGrant> {
    if (!GRANT_ID.test(grantId)) throw new ValidationError(`grant_id must be a grant's id, a UUID as "gatehouse grant list --user <username>" prints (got "${grantId.slice(0, 64)}")`);
    const found = await this.deps.grants.findGrant(grantId);
    if (!found) throw new NotFoundError(`no grant "${grantId}" (list a user's grants with: gatehouse grant list --user <username>)`);
    const grant = (await this.deps.grants.revokeGrant(grantId, this.clock())) ?? found;
    const consentForgotten = await this.deps.consents.deleteConsent(grant.userId, grant.clientId);
    const user = await this.deps.users.findUser(grant.userId);
    return { ...(await this.view(grant, user)), revoked: found.revokedAt === null, consentForgotten };
  }

  private async view(grant: AuthorizationGrant, user: User | undefined): Promise<GrantView> {
    const client = await this.deps.clients.findClient(grant.clientId);
    return { grant, clientName: client?.name ?? null, clientTenant: client?.tenantSlug ?? null, username: user?.username ?? null };
  }
}
