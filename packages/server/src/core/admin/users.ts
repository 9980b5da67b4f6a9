import { NotFoundError } from '../errors.js';
import { checkPasswordPolicy, hashPassword } from '../password.js';
import type { GrantStore, TenantStore, UserStore } from '../storage.js';
import type { User } from '../types.js';
import { checkUsername } from '../username.js';
import { requireTenant, requireUser } from './lookups.js';

export interface UserServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  users: Pick<UserStore, 'createUser' | 'findUserByUsername' | 'addUserToTenant' | 'listUsers' | 'setPassword' | 'setDisabled'>;
  grants: Pick<GrantStore, 'revokeGrantsOfUser'>;
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
   * taken in any letter case.
   */
  async create(input: CreateUserInput): Promise<User> {
    checkUsername(input.username);
    checkPasswordPolicy(input.password);
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    const passwordHash = await hashPassword(input.password);
    return this.deps.users.createUser({ username: input.username, passwordHash, tenantIds: [tenant.id] });
  }

  /** Adds the user to another tenant; `added` is false when it belonged to it already. */
  async addToTenant(username: string, tenantSlug: string): Promise<{ user: User; added: boolean }> {
    const user = await requireUser(this.deps.users, username);
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    const added = await this.deps.users.addUserToTenant(user.id, tenant.id);
    return { user: await requireUser(this.deps.users, username), added };
  }

  async list(tenantSlug: string): Promise<User[]> {
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    return this.deps.users.listUsers(tenant.id);
  }

  /** Replaces the user's password (same policy as create). */
  async setPassword(username: string, password: string): Promise<User> {
    checkPasswordPolicy(password);
    const user = await requireUser(this.deps.users, username);
    const updated = await this.deps.users.setPassword(user.id, await hashPassword(password));
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    return updated;
  }

  /** Disables the user: it can no longer log in, and its revocation epoch rises. */
  disable(username: string): Promise<User> {
    return this.setDisabled(username, true);
  }

  /** Re-enables a disabled user. */
  enable(username: string): Promise<User> {
    return this.setDisabled(username, false);
  }

  private async setDisabled(username: string, disabled: boolean): Promise<User> {
    const user = await requireUser(this.deps.users, username);
    const updated = await this.deps.users.setDisabled(user.id, disabled);
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    // A disabled user's applications lose their access at once: every grant (refresh
    // tokens and the access tokens minted from them) is revoked. Enabling does not
    // bring them back: the user authorizes again.
    if (disabled) await this.deps.grants.revokeGrantsOfUser(user.id, this.clock());
    return updated;
  }
}
