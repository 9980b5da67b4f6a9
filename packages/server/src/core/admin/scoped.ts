import type { AuditListFilter, AuditService } from '../audit.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { AuditEvent } from '../storage.js';
import type { Client, ScopeDefinition, SigningAlgorithm, SigningKey, Tenant, User } from '../types.js';
import { normalizeUsername } from '../username.js';
import type { AdminAccount } from './accounts.js';
import type { CreateClientInput, CreatedClient, CreateOperatorClientInput, RotatedSecret, UpdateClientInput } from './clients.js';
import type { GrantView, RevokedGrant } from './grants.js';
import type { AdminServices } from './index.js';
import type { PublishedKey } from './keys.js';
import { paginate, type Page, type PageRequest } from './pages.js';
import { isOperator, requireOperator, requireTenantAccess, type AdminPrincipal } from './principal.js';
import { checkBrandingInput, type CreateTenantInput, type TenantBrandingInput, type UpdateTenantInput } from './tenants.js';

/**
 * The admin operations as one principal may perform them: what the admin API and the
 * dashboard call. Every operation checks the principal before it reads or changes
 * anything (core/admin/principal.ts), so the two surfaces cannot disagree:
 *
 * - an operator reaches everything;
 * - a tenant principal reaches its own tenant only: another tenant, and a client, user or
 *   grant outside its tenant, is NotFoundError (404), the answer for one that does not
 *   exist; deployment-wide powers (creating or disabling tenants, resource-server
 *   clients, signing keys, operator clients) are ForbiddenError (403);
 * - a user who belongs to several tenants is changed (password, disabling, deletion) by
 *   operators only: one tenant must not lock a person out of another;
 * - a tenant principal sees its own tenant in a user's memberships, its tenant's grants
 *   and its tenant's audit events only.
 *
 * The services it calls record every action in the audit log as the principal's actor
 * (`gatehouse.adminAs(actor)` built them).
 */
export interface ScopedAdminDeps {
  /** The admin services acting as the principal's actor. */
  admin: AdminServices;
  audit: Pick<AuditService, 'list'>;
}

/** What PATCH /tenants/{slug} changes: the slug never changes. */
export interface TenantChange extends UpdateTenantInput {
  /** Operators only. */
  disabled?: boolean;
  /** Accent and footer links (absent: kept, null: cleared); the logo is `setTenantLogo`. */
  branding?: Omit<TenantBrandingInput, 'logo'>;
}

/** What PATCH …/clients/{client_id} changes. */
export interface ClientChange extends UpdateClientInput {
  disabled?: boolean;
}

/** What PATCH /users/{username} changes. */
export interface UserChange {
  password?: string;
  disabled?: boolean;
}

/** A sort key that orders by creation time, then by id (unique). */
const byCreation = (createdAt: number, id: string): string => `${String(createdAt).padStart(16, '0')}:${id}`;

export class ScopedAdmin {
  constructor(
    private readonly deps: ScopedAdminDeps,
    readonly principal: AdminPrincipal,
  ) {}

  private get admin(): AdminServices {
    return this.deps.admin;
  }

  // --- tenants ---

  /** Operators: every tenant; a tenant principal: its own. Ordered by slug. */
  async listTenants(page?: PageRequest): Promise<Page<Tenant>> {
    const all = await this.admin.tenants.list();
    const principal = this.principal;
    const visible = isOperator(principal) ? all : all.filter((tenant) => tenant.slug === principal.tenant);
    return paginate(visible, (tenant) => tenant.slug, page);
  }

  async createTenant(input: CreateTenantInput): Promise<Tenant> {
    requireOperator(this.principal, 'creating a tenant');
    return this.admin.tenants.create(input);
  }

  async getTenant(slug: string): Promise<Tenant> {
    requireTenantAccess(this.principal, slug);
    const tenant = (await this.admin.tenants.list()).find((candidate) => candidate.slug === slug);
    if (!tenant) throw new NotFoundError(`unknown tenant "${slug}"`);
    return tenant;
  }

  /** Renames the tenant or changes its lifetime (its own principal may); disabling and enabling are for operators. */
  async updateTenant(slug: string, change: TenantChange): Promise<Tenant> {
    requireTenantAccess(this.principal, slug);
    if (change.disabled !== undefined) requireOperator(this.principal, 'disabling or enabling a tenant');
    let tenant = await this.getTenant(slug);
    const branding = change.branding ?? {};
    const brandingGiven = Object.values(branding).some((value) => value !== undefined);
    // Every part is checked before any is applied: a refused change leaves the tenant as it was.
    if (brandingGiven) checkBrandingInput(branding);
    if (change.name !== undefined || change.accessTokenTtl !== undefined) {
      tenant = await this.admin.tenants.update(slug, { name: change.name, accessTokenTtl: change.accessTokenTtl });
    }
    if (brandingGiven) {
      tenant = await this.admin.tenants.setBranding(slug, { accent: branding.accent, termsUrl: branding.termsUrl, privacyUrl: branding.privacyUrl });
    }
    if (change.disabled !== undefined && change.disabled !== tenant.disabled) {
      tenant = change.disabled ? await this.admin.tenants.disable(slug) : await this.admin.tenants.enable(slug);
    }
    return tenant;
  }

  /** Replaces the tenant's logo (its bytes: PNG, JPEG, WebP or SVG) or removes it (null); its own principal may. */
  async setTenantLogo(slug: string, logo: Uint8Array | null): Promise<Tenant> {
    await this.getTenant(slug);
    return this.admin.tenants.setBranding(slug, { logo });
  }

  /**
   * A tenant is never erased (its slug stays reserved, its audit trail meaningful):
   * deleting disables it, which revokes every token of its clients. Operators only.
   */
  async deleteTenant(slug: string): Promise<Tenant> {
    requireTenantAccess(this.principal, slug);
    requireOperator(this.principal, 'deleting a tenant');
    return this.admin.tenants.disable(slug);
  }

  // --- clients ---

  /** The tenant's clients, by creation time; a tenant principal does not see resource servers. */
  async listClients(slug: string, page?: PageRequest): Promise<Page<Client>> {
    requireTenantAccess(this.principal, slug);
    const all = await this.admin.clients.list(slug);
    const visible = isOperator(this.principal) ? all : all.filter((client) => !client.resourceServer);
    return paginate(visible, (client) => byCreation(client.createdAt, client.id), page);
  }

  async createClient(slug: string, input: Omit<CreateClientInput, 'tenant'>): Promise<CreatedClient> {
    requireTenantAccess(this.principal, slug);
    // Operators only, checked (and a refusal recorded in the audit log) by ClientService.create.
    return this.admin.clients.create({ ...input, tenant: slug }, this.principal);
  }

  async getClient(slug: string, clientId: string): Promise<Client> {
    return this.clientIn(slug, clientId);
  }

  /** Changes the client's settings, then disables or enables it (disabling revokes its tokens). */
  async updateClient(slug: string, clientId: string, change: ClientChange): Promise<Client> {
    let client = await this.clientIn(slug, clientId);
    const { disabled, ...settings } = change;
    if (Object.values(settings).some((value) => value !== undefined)) client = await this.admin.clients.update(clientId, settings);
    if (disabled !== undefined && disabled !== client.disabled) {
      client = disabled ? await this.admin.clients.disable(clientId) : await this.admin.clients.enable(clientId);
    }
    return client;
  }

  /** Deletes the client softly; every token issued to it is revoked (ClientService.delete). */
  async deleteClient(slug: string, clientId: string): Promise<Client> {
    await this.clientIn(slug, clientId);
    return this.admin.clients.delete(clientId);
  }

  async rotateClientSecret(slug: string, clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    await this.clientIn(slug, clientId);
    return this.admin.clients.rotateSecret(clientId, options);
  }

  /**
   * The client, when it belongs to the path's tenant and the principal may reach it:
   * NotFoundError for a client of another tenant (ids are global: a tenant principal
   * must not reach one through its own tenant's path), ForbiddenError for a resource
   * server reached by a tenant principal.
   */
  private async clientIn(slug: string, clientId: string): Promise<Client> {
    requireTenantAccess(this.principal, slug);
    const client = await this.admin.clients.get(clientId);
    if (client.tenantSlug !== slug) throw new NotFoundError(`no client with id "${clientId}" in tenant "${slug}"`);
    if (client.resourceServer) requireOperator(this.principal, 'managing a resource server');
    return client;
  }

  // --- scopes ---

  async listScopes(slug: string, page?: PageRequest): Promise<Page<ScopeDefinition>> {
    requireTenantAccess(this.principal, slug);
    return paginate(await this.admin.scopes.list(slug), (scope) => scope.name, page);
  }

  /** Creates the scope or replaces its description. */
  async putScope(slug: string, name: string, description: string): Promise<ScopeDefinition> {
    requireTenantAccess(this.principal, slug);
    return this.admin.scopes.create({ tenant: slug, name, description });
  }

  async deleteScope(slug: string, name: string): Promise<void> {
    requireTenantAccess(this.principal, slug);
    return this.admin.scopes.delete({ tenant: slug, name });
  }

  // --- users ---

  /** The tenant's users, by username ignoring case. */
  async listUsers(slug: string, page?: PageRequest): Promise<Page<User>> {
    requireTenantAccess(this.principal, slug);
    const listed = paginate(await this.admin.users.list(slug), (user) => normalizeUsername(user.username), page);
    return { ...listed, items: listed.items.map((user) => this.view(user)) };
  }

  async createUser(slug: string, input: { username: string; password: string }): Promise<User> {
    requireTenantAccess(this.principal, slug);
    return this.view(await this.admin.users.create({ ...input, tenant: slug }));
  }

  /** Makes an existing user a member of the tenant; `added` is false when it was one already. */
  async addUserToTenant(slug: string, username: string): Promise<{ user: User; added: boolean }> {
    requireTenantAccess(this.principal, slug);
    // A tenant principal reaches only its own users: attaching another tenant's user would
    // take that user out of its tenant's sole control (and list every username of the
    // deployment). Operators attach users across tenants; for a tenant, a user of
    // another tenant is as unknown as one that does not exist.
    if (!isOperator(this.principal)) await this.userInReach(username);
    const { user, added } = await this.admin.users.addToTenant(username, slug);
    return { user: this.view(user), added };
  }

  /** Ends the membership (never the user's last one): UserService.removeFromTenant. */
  async removeUserFromTenant(slug: string, username: string): Promise<User> {
    requireTenantAccess(this.principal, slug);
    return this.view((await this.admin.users.removeFromTenant(username, slug)).user);
  }

  async getUser(username: string): Promise<User> {
    return this.view(await this.userInReach(username));
  }

  /** Resets the password and/or disables or enables the user (disabling revokes its grants). */
  async updateUser(username: string, change: UserChange): Promise<User> {
    let user = await this.userInReach(username);
    this.requireSoleTenant(user, 'changing');
    if (change.password !== undefined) user = await this.admin.users.setPassword(user.username, change.password);
    if (change.disabled !== undefined && change.disabled !== user.disabled) {
      user = change.disabled ? await this.admin.users.disable(user.username) : await this.admin.users.enable(user.username);
    }
    return this.view(user);
  }

  /**
   * Ends every sign-in session of the user, on every process (UserService.revokeSessions);
   * its grants stay. Same reach as a password reset.
   */
  async revokeUserSessions(username: string): Promise<{ user: User; ended: number }> {
    const user = await this.userInReach(username);
    this.requireSoleTenant(user, 'signing out');
    const { user: revoked, ended } = await this.admin.users.revokeSessions(user.username);
    return { user: this.view(revoked), ended };
  }

  /** Deletes the user for good, after revoking its grants (UserService.delete). */
  async deleteUser(username: string): Promise<User> {
    const user = await this.userInReach(username);
    this.requireSoleTenant(user, 'deleting');
    return this.view(await this.admin.users.delete(user.username));
  }

  /** The user's grants a principal may see (a tenant principal: those of its tenant), by creation time. */
  async listGrants(username: string, page?: PageRequest): Promise<Page<GrantView>> {
    const user = await this.userInReach(username);
    const grants = (await this.admin.grants.listOfUser(user.username)).filter((view) => this.grantInReach(view));
    return paginate(grants, (view) => byCreation(view.grant.createdAt, view.grant.id), page);
  }

  /** Revokes one of the user's grants and forgets the remembered consent (GrantService.revoke). */
  async revokeGrant(username: string, grantId: string): Promise<RevokedGrant> {
    const user = await this.userInReach(username);
    const found = (await this.admin.grants.listOfUser(user.username)).find((view) => view.grant.id === grantId);
    if (!found || !this.grantInReach(found)) throw new NotFoundError(`user ${user.username} has no grant "${grantId.slice(0, 64)}"`);
    return this.admin.grants.revoke(grantId);
  }

  /** The user, when the principal may reach it (a tenant principal: a member of its tenant), else NotFoundError. */
  /** The user, when the principal may reach it; for a tenant principal, one of another tenant answers as one that does not exist. */
  private async userInReach(username: string): Promise<User> {
    const principal = this.principal;
    if (isOperator(principal)) return this.admin.users.get(username);
    const user = await this.admin.users.get(username).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!user || !user.tenants.some((tenant) => tenant.slug === principal.tenant)) throw new NotFoundError(`no user "${username}"`);
    return user;
  }

  private requireSoleTenant(user: User, what: string): void {
    if (user.tenants.length > 1) requireOperator(this.principal, `${what} a user who also belongs to another tenant`);
  }

  private grantInReach({ grant, clientTenant }: GrantView): boolean {
    if (isOperator(this.principal)) return true;
    return clientTenant === this.principal.tenant || grant.tenants.includes(this.principal.tenant);
  }

  /** A tenant principal sees its own tenant among the user's memberships, not the others. */
  private view(user: User): User {
    if (isOperator(this.principal)) return user;
    const own = this.principal.tenant;
    return { ...user, tenants: user.tenants.filter((tenant) => tenant.slug === own) };
  }

  // --- operator clients (deployment-wide: operators only) ---

  /** By creation time. */
  async listOperatorClients(page?: PageRequest): Promise<Page<Client>> {
    requireOperator(this.principal, 'managing operator clients');
    return paginate(await this.admin.operatorClients.list(), (client) => byCreation(client.createdAt, client.id), page);
  }

  async createOperatorClient(input: CreateOperatorClientInput): Promise<CreatedClient> {
    requireOperator(this.principal, 'managing operator clients');
    return this.admin.operatorClients.create(input);
  }

  async getOperatorClient(clientId: string): Promise<Client> {
    requireOperator(this.principal, 'managing operator clients');
    return this.admin.operatorClients.get(clientId);
  }

  /** Name and access token lifetime (its scope stays gatehouse:admin), then disabling or enabling (disabling revokes its tokens). */
  async updateOperatorClient(clientId: string, change: ClientChange): Promise<Client> {
    requireOperator(this.principal, 'managing operator clients');
    const { disabled, ...settings } = change;
    let client = await this.admin.operatorClients.get(clientId);
    if (Object.values(settings).some((value) => value !== undefined)) client = await this.admin.operatorClients.update(clientId, settings);
    if (disabled !== undefined && disabled !== client.disabled) {
      client = disabled ? await this.admin.operatorClients.disable(clientId) : await this.admin.operatorClients.enable(clientId);
    }
    return client;
  }

  async deleteOperatorClient(clientId: string): Promise<Client> {
    requireOperator(this.principal, 'managing operator clients');
    return this.admin.operatorClients.delete(clientId);
  }

  async rotateOperatorClientSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    requireOperator(this.principal, 'managing operator clients');
    return this.admin.operatorClients.rotateSecret(clientId, options);
  }

  // --- admin accounts (the dashboard's people; AdminAccountService checks the principal too) ---

  /** The tenant's admin accounts, by username ignoring case. */
  async listAdminsOf(slug: string, page?: PageRequest): Promise<Page<AdminAccount>> {
    requireTenantAccess(this.principal, slug);
    return paginate(await this.admin.accounts.list({ tenant: slug }, this.principal), (account) => normalizeUsername(account.username), page);
  }

  /** A tenant admin account in the tenant (its own principal may). */
  async createAdminIn(slug: string, input: { username: string; password: string }): Promise<AdminAccount> {
    requireTenantAccess(this.principal, slug);
    return this.admin.accounts.create({ tenant: slug, username: input.username, password: input.password }, this.principal);
  }

  /** Deletes one of the tenant's admin accounts (its sessions end); another tenant's admin or an operator is NotFoundError. */
  async deleteAdminOf(slug: string, username: string): Promise<AdminAccount> {
    requireTenantAccess(this.principal, slug);
    const account = (await this.admin.accounts.list({ tenant: slug }, this.principal)).find((candidate) => normalizeUsername(candidate.username) === normalizeUsername(username));
    if (!account) throw new NotFoundError(`no admin account "${username}" in tenant "${slug}"`);
    return this.admin.accounts.delete(account.username, this.principal);
  }

  /** The operator accounts, by username ignoring case. Operators only. */
  async listOperators(page?: PageRequest): Promise<Page<AdminAccount>> {
    requireOperator(this.principal, 'managing operator accounts');
    return paginate(await this.operatorAccounts(), (account) => normalizeUsername(account.username), page);
  }

  async createOperator(input: { username: string; password: string }): Promise<AdminAccount> {
    requireOperator(this.principal, 'managing operator accounts');
    return this.admin.accounts.create({ tenant: null, username: input.username, password: input.password }, this.principal);
  }

  /** Deletes an operator account (its sessions end); a tenant admin's name is NotFoundError here. */
  async deleteOperator(username: string): Promise<AdminAccount> {
    requireOperator(this.principal, 'managing operator accounts');
    const account = (await this.operatorAccounts()).find((candidate) => normalizeUsername(candidate.username) === normalizeUsername(username));
    if (!account) throw new NotFoundError(`no operator account "${username}"`);
    return this.admin.accounts.delete(account.username, this.principal);
  }

  private async operatorAccounts(): Promise<AdminAccount[]> {
    return (await this.admin.accounts.list({}, this.principal)).filter((account) => account.tenantId === null);
  }

  // --- signing keys (deployment-wide: operators only) ---

  async listKeys(page?: PageRequest): Promise<Page<PublishedKey>> {
    requireOperator(this.principal, 'managing signing keys');
    return paginate(await this.admin.keys.listPublished(), (key) => byCreation(key.createdAt, key.kid), page);
  }

  async rotateKey(alg?: SigningAlgorithm): Promise<SigningKey> {
    requireOperator(this.principal, 'managing signing keys');
    return this.admin.keys.rotate(alg);
  }

  async withdrawKey(kid: string): Promise<void> {
    requireOperator(this.principal, 'managing signing keys');
    return this.admin.keys.withdraw(kid);
  }

  // --- the audit log ---

  /** Newest first. A tenant principal sees its own tenant's events only (another tenant: NotFoundError). */
  async listAuditEvents(filter: AuditListFilter = {}): Promise<{ events: AuditEvent[]; next: string | null }> {
    if (isOperator(this.principal)) return this.deps.audit.list(filter);
    if (filter.tenant !== undefined) requireTenantAccess(this.principal, filter.tenant);
    return this.deps.audit.list({ ...filter, tenant: this.principal.tenant });
  }

  // --- branding ---

  /** The tenant's accent and footer links (absent: kept; null or '': cleared); its own principal may. ValidationError names the field. */
  async setTenantBranding(slug: string, input: Omit<TenantBrandingInput, 'logo'>): Promise<Tenant> {
    await this.getTenant(slug);
    return this.admin.tenants.setBranding(slug, input);
  }

  // --- admin accounts (the people who sign in to the dashboard; AdminAccountService) ---

  /** A tenant's admin accounts, by username (the tenant's own principal may). */
  async listTenantAdmins(slug: string): Promise<AdminAccount[]> {
    requireTenantAccess(this.principal, slug);
    return byUsername(await this.admin.accounts.list({ tenant: slug }, this.principal));
  }

  /** The operator accounts, by username. Operators only. */
  async listOperatorAccounts(): Promise<AdminAccount[]> {
    requireOperator(this.principal, 'listing operator accounts');
    return byUsername((await this.admin.accounts.list({}, this.principal)).filter((account) => account.tenantId === null));
  }

  /** Creates an admin of the tenant (password policy as for every account). Its own tenant's admins may. */
  async createTenantAdmin(slug: string, input: { username: string; password: string }): Promise<AdminAccount> {
    requireTenantAccess(this.principal, slug);
    return this.admin.accounts.create({ tenant: slug, username: input.username, password: input.password }, this.principal);
  }

  /** Disables one of the tenant's admins and ends its sessions; nobody disables their own account. */
  async disableTenantAdmin(slug: string, username: string): Promise<AdminAccount> {
    await this.tenantAdminIn(slug, username, 'disable');
    return this.admin.accounts.disable(username, this.principal);
  }

  async enableTenantAdmin(slug: string, username: string): Promise<AdminAccount> {
    await this.tenantAdminIn(slug, username);
    return this.admin.accounts.enable(username, this.principal);
  }

  /** Deletes one of the tenant's admins and ends its sessions; nobody deletes their own account. */
  async deleteTenantAdmin(slug: string, username: string): Promise<AdminAccount> {
    await this.tenantAdminIn(slug, username, 'delete');
    return this.admin.accounts.delete(username, this.principal);
  }

  /** The tenant's admin `username` (another tenant's, an operator or nobody: NotFoundError); `selfRefused`: refuse the principal's own account. */
  private async tenantAdminIn(slug: string, username: string, selfRefused?: 'disable' | 'delete'): Promise<AdminAccount> {
    const wanted = normalizeUsername(username);
    const account = (await this.listTenantAdmins(slug)).find((candidate) => normalizeUsername(candidate.username) === wanted);
    if (!account) throw new NotFoundError(`no admin "${username}" in tenant "${slug}"`);
    // Locking oneself out is never what was meant: another admin of the tenant, or an operator, can.
    if (selfRefused && normalizeUsername(this.principal.actor) === wanted) {
      throw new ForbiddenError(`you cannot ${selfRefused} your own account: another admin of the tenant or an operator can`);
    }
    return account;
  }
}

const byUsername = (accounts: AdminAccount[]): AdminAccount[] => [...accounts].sort((a, b) => a.username.localeCompare(b.username));

/** The admin operations as `principal` may perform them (see ScopedAdmin). */
export function createScopedAdmin(deps: ScopedAdminDeps, principal: AdminPrincipal): ScopedAdmin {
  return new ScopedAdmin(deps, principal);
}

export type { Page, PageRequest } from './pages.js';
