import type { Config } from '../config.js';
import { formatDuration } from '../duration.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { validateRedirectUri } from '../redirect-uri.js';
import { ADMIN_SCOPE, parseScopeList } from '../scope.js';
import { digestSecret, generateClientSecret, randomToken } from '../secrets.js';
import { DEFAULT_REFRESH_SETTINGS, type AuditAction, type ClientSettings, type ClientStore, type TenantStore } from '../storage.js';
import { isGrantType, type Client, type GrantType } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { checkAccessTokenTtl, requireClient, requireTenant } from './lookups.js';
import { CLI_PRINCIPAL, requireOperator, type AdminPrincipal } from './principal.js';
import { refuseCommaSeparatedScopes } from './scopes.js';

export interface ClientServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  clients: Pick<ClientStore, 'createClient' | 'findClient' | 'listClients' | 'listOperatorClients' | 'updateClientSecret' | 'setClientDisabled' | 'updateClient' | 'deleteClient'>;
  /** Keys the client-secret digests (derived from the master key). */
  digestKey: Buffer;
  config: Pick<Config, 'maxAccessTokenTtl'>;
  audit: AdminAudit;
  clock?: () => number;
}

export interface CreateClientInput {
  tenant: string;
  name: string;
  grantTypes?: string[];
  scope?: string;
  defaultScope?: string;
  redirectUris?: string[];
  isPublic?: boolean;
  accessTokenTtl?: number | null;
  /** A resource server of the API provider: reads the revocation feed, introspects every tenant. */
  resourceServer?: boolean;
  /** Refresh token settings in seconds (Client.refreshIdleTtl etc.); absent: DEFAULT_REFRESH_SETTINGS. */
  refreshIdleTtl?: number | null;
  refreshAbsoluteTtl?: number | null;
  refreshGraceSeconds?: number | null;
}

/** An operator client (`gatehouse client create --operator`): a name, and optionally its access token lifetime. */
export interface CreateOperatorClientInput {
  name: string;
  /** Must be gatehouse:admin (the default) when given. */
  scope?: string;
  accessTokenTtl?: number | null;
}

/** What `client update` changes; an absent field keeps its value. */
export interface UpdateClientInput {
  name?: string;
  /** Replaces the list, with the checks of `create` (a public client never gets client_credentials). */
  grantTypes?: string[];
  /** Replaces the scopes (space-delimited). */
  scope?: string;
  defaultScope?: string;
  /** Replaces the whole list. */
  redirectUris?: string[];
  /** null: back to the tenant's lifetime. */
  accessTokenTtl?: number | null;
  refreshIdleTtl?: number;
  refreshAbsoluteTtl?: number;
  refreshGraceSeconds?: number;
}

export interface CreatedClient {
  client: Client;
  /** Shown once; only its digest is stored. Absent for public clients. */
  secret?: string;
}

export interface RotatedSecret {
  client: Client;
  secret: string;
  /** Until when the previous secret keeps working (epoch ms), or null when it stopped at once. */
  previousSecretExpiresAt: number | null;
}

/**
 * API clients: registration, secrets, disabling. `create` and `list` are a tenant's;
 * the operations by client id (get, update, delete, rotateSecret, disable, enable) reach
 * any client, operator clients too, and are recorded as `operator_client.<verb>` for those:
 * a tenant-scoped caller (admin API, dashboard) must check that the client's tenant is
 * the one it may manage. OperatorClientService is the operators' view.
 */
export class ClientService {
  private readonly clock: () => number;

  constructor(private readonly deps: ClientServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Recorded as `client.create`: the client's id and settings, never its secret. A
   * resource server introspects every tenant's tokens and reads the deployment-wide
   * revocation feed: registering one is reserved to operators (`as`, the CLI's by
   * default); a tenant principal's attempt is refused (ForbiddenError, 403) and recorded
   * as a failed `client.create` with `details.resourceServer`.
   */
  create(input: CreateClientInput, as: AdminPrincipal = CLI_PRINCIPAL): Promise<CreatedClient> {
    const aim = { tenant: input.tenant, target: null, ...(input.resourceServer ? { details: { resourceServer: true } } : {}) };
    return audited(this.deps.audit, 'client.create', aim, () => this.createClient(input, as), ({ client }) => ({
      tenant: client.tenantSlug,
      target: client.id,
      details: { name: client.name, grantTypes: client.grantTypes, scope: client.scopes.join(' '), public: client.isPublic, resourceServer: client.resourceServer },
    }));
  }

  private async createClient(input: CreateClientInput, as: AdminPrincipal): Promise<CreatedClient> {
    if (input.resourceServer) requireOperator(as, "registering a resource server (it introspects every tenant's tokens and reads the deployment-wide revocation feed)");
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    const isPublic = input.isPublic ?? false;
    if (isPublic && input.resourceServer) throw new ValidationError('a resource server must be a confidential client (it authenticates to read the revocation feed)', { field: 'resource_server' });
    const grantTypes = parseGrantTypes(input.grantTypes, isPublic);
    const settings = this.checkSettings(input, input.scope === undefined);
    checkAdminScope(settings, { isPublic, grantTypes });
    const secret = isPublic ? undefined : generateClientSecret();
    const client = await this.deps.clients.createClient({
      id: newClientId(),
      tenantId: tenant.id,
      isPublic,
      secretDigest: secret === undefined ? null : digestSecret(secret, this.deps.digestKey),
      grantTypes,
      resourceServer: input.resourceServer ?? false,
      ...settings,
    });
    return secret === undefined ? { client } : { client, secret };
  }

  /**
   * Changes the client's name, scopes, default scopes, redirect URIs (the list is
   * replaced), access token lifetime or refresh settings, with the checks of `create`
   * applied to the result. Tokens issued so far keep their scopes until they expire.
   * Recorded as `client.update` (`operator_client.update`) with the client's name and scopes after the change.
   */
  async update(clientId: string, input: UpdateClientInput): Promise<Client> {
    return audited(this.deps.audit, await this.actionFor(clientId, 'update'), { tenant: null, target: clientId }, () => this.updateClient(clientId, input), (client) => ({
      tenant: client.tenantSlug,
      details: { name: client.name, grantTypes: client.grantTypes, scope: client.scopes.join(' ') },
    }));
  }

  private async updateClient(clientId: string, input: UpdateClientInput): Promise<Client> {
    const client = await requireClient(this.deps.clients, clientId);
    const settings = client.tenantId === null ? this.checkOperatorSettings(client, input) : this.checkTenantClientUpdate(client, input);
    const updated = await this.deps.clients.updateClient(clientId, settings);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  private checkTenantClientUpdate(client: Client, input: UpdateClientInput): ClientSettings {
    const grantTypes = input.grantTypes === undefined ? client.grantTypes : parseGrantTypes(input.grantTypes, client.isPublic);
    const settings = this.checkSettings(
      {
        name: input.name ?? client.name,
        scope: input.scope ?? client.scopes.join(' '),
        defaultScope: input.defaultScope ?? client.defaultScopes.join(' '),
        redirectUris: input.redirectUris ?? client.redirectUris,
        accessTokenTtl: input.accessTokenTtl === undefined ? client.accessTokenTtl : input.accessTokenTtl,
        refreshIdleTtl: input.refreshIdleTtl ?? client.refreshIdleTtl,
        refreshAbsoluteTtl: input.refreshAbsoluteTtl ?? client.refreshAbsoluteTtl,
        refreshGraceSeconds: input.refreshGraceSeconds ?? client.refreshGraceSeconds,
      },
      false,
      client.redirectUris,
    );
    checkAdminScope(settings, { isPublic: client.isPublic, grantTypes });
    return { ...settings, grantTypes };
  }

  /**
   * An operator client's settings: its name and access token lifetime may change; its
   * scope stays gatehouse:admin (it gets admin API tokens only) and it has no redirect
   * URIs (client_credentials only).
   */
  private checkOperatorSettings(client: Client, input: UpdateClientInput): ClientSettings {
    if (input.redirectUris !== undefined && input.redirectUris.length > 0) throw new ValidationError('an operator client uses client_credentials only: it has no redirect URIs', { field: 'redirect_uris' });
    if (input.grantTypes !== undefined && (input.grantTypes.length !== 1 || input.grantTypes[0] !== 'client_credentials')) {
      throw new ValidationError('an operator client uses client_credentials only', { field: 'grant_types' });
    }
    const settings = this.checkSettings(
      {
        name: input.name ?? client.name,
        scope: input.scope ?? client.scopes.join(' '),
        defaultScope: input.defaultScope ?? client.defaultScopes.join(' '),
        redirectUris: [],
        accessTokenTtl: input.accessTokenTtl === undefined ? client.accessTokenTtl : input.accessTokenTtl,
        refreshIdleTtl: client.refreshIdleTtl,
        refreshAbsoluteTtl: client.refreshAbsoluteTtl,
        refreshGraceSeconds: client.refreshGraceSeconds,
      },
      false,
    );
    checkOperatorScope(settings.scopes, settings.defaultScopes);
    return { ...settings, grantTypes: ['client_credentials'] };
  }

  /**
   * The audit action of an operation on `clientId`: `operator_client.<verb>` for an
   * operator client, else `client.<verb>` (also when there is no such client: the
   * operation then fails and is recorded as `client.<verb>`).
   */
  private async actionFor(clientId: string, verb: 'update' | 'delete' | 'rotate_secret' | 'disable' | 'enable'): Promise<AuditAction> {
    const client = await this.deps.clients.findClient(clientId);
    return client?.tenantId === null ? `operator_client.${verb}` : `client.${verb}`;
  }

  /**
   * Registers an operator client (README, "Admin API tokens"): it belongs to no tenant, is
   * confidential, uses client_credentials only, and its scope is gatehouse:admin (the
   * default, and the only scope it may have: an operator client gets admin API tokens
   * only). Reserved to operators (the caller checks the principal: requireOperator).
   * Recorded as `operator_client.create`, never with the secret.
   */
  createOperatorClient(input: CreateOperatorClientInput): Promise<CreatedClient> {
    return audited(this.deps.audit, 'operator_client.create', { tenant: null, target: null }, () => this.insertOperatorClient(input), ({ client }) => ({
      tenant: null,
      target: client.id,
      details: { name: client.name, grantTypes: client.grantTypes, scope: client.scopes.join(' '), public: false, resourceServer: false },
    }));
  }

  private async insertOperatorClient(input: CreateOperatorClientInput): Promise<CreatedClient> {
    const settings = this.checkSettings({ name: input.name, scope: input.scope ?? ADMIN_SCOPE, defaultScope: ADMIN_SCOPE, accessTokenTtl: input.accessTokenTtl ?? null }, false);
    checkOperatorScope(settings.scopes, settings.defaultScopes);
    const secret = generateClientSecret();
    const client = await this.deps.clients.createClient({
      id: newClientId(),
      tenantId: null,
      isPublic: false,
      secretDigest: digestSecret(secret, this.deps.digestKey),
      grantTypes: ['client_credentials'],
      resourceServer: false,
      ...settings,
    });
    return { client, secret };
  }

  /** The operator clients (never a tenant's), oldest first. */
  listOperatorClients(): Promise<Client[]> {
    return this.deps.clients.listOperatorClients();
  }

  /**
   * Deletes the client (ClientStore.deleteClient: softly): it can no longer authenticate,
   * so its refresh tokens and grants stop working, and every token issued to it is
   * revoked, on the revocation feed too. Its id is never reused. Recorded as `client.delete`.
   */
  async delete(clientId: string): Promise<Client> {
    return audited(this.deps.audit, await this.actionFor(clientId, 'delete'), { tenant: null, target: clientId }, () => this.deleteClient(clientId), (client) => ({ tenant: client.tenantSlug, details: { name: client.name } }));
  }

  private async deleteClient(clientId: string): Promise<Client> {
    const client = await requireClient(this.deps.clients, clientId);
    if (!(await this.deps.clients.deleteClient(clientId))) throw new NotFoundError(`no client with id "${clientId}"`);
    return client;
  }

  /**
   * The checks `create` and `update` share, on the client's settings as they will be.
   * `addDefaults`: the default scopes join the scopes (create without --scope).
   */
  private checkSettings(input: Omit<CreateClientInput, 'tenant'>, addDefaults: boolean, storedRedirectUris: readonly string[] = []): Omit<ClientSettings, 'grantTypes'> {
    const name = input.name.trim();
    if (name === '' || name.length > 200) throw new ValidationError('a client name must be 1-200 characters', { field: 'name' });
    checkAccessTokenTtl(input.accessTokenTtl, this.deps.config);
    refuseCommaSeparatedScopes(input.scope, 'scope');
    refuseCommaSeparatedScopes(input.defaultScope, 'default_scope');
    const scopes = parseScopeList(input.scope ?? '');
    const defaultScopes = parseScopeList(input.defaultScope ?? '');
    const outside = defaultScopes.filter((scope) => !scopes.includes(scope));
    // A default scope the client could not request itself would be a silent escalation.
    if (addDefaults && defaultScopes.length > 0) scopes.push(...defaultScopes);
    else if (outside.length > 0) throw new ValidationError(`default scope "${outside.join(' ')}" is not among the client's scopes (--scope)`, { field: 'default_scope' });
    return {
      name,
      scopes: [...new Set(scopes)].sort(),
      defaultScopes,
      // A URI stored under an earlier rule is kept as it is (core/redirect-uri.ts); new ones must pass.
      redirectUris: (input.redirectUris ?? []).map((uri) => (storedRedirectUris.includes(uri) ? uri : validateRedirectUri(uri))),
      accessTokenTtl: input.accessTokenTtl ?? null,
      ...checkRefreshSettings(input),
    };
  }

  async list(tenantSlug: string): Promise<Client[]> {
    const tenant = await requireTenant(this.deps.tenants, tenantSlug);
    return this.deps.clients.listClients(tenant.id);
  }

  /** The client (never its secret, which is not stored); NotFoundError when there is none. */
  get(clientId: string): Promise<Client> {
    return requireClient(this.deps.clients, clientId);
  }

  /**
   * Issues a new secret. Without a grace period the old secret stops working at once
   * and every access token issued to the client so far is revoked (its revocation epoch
   * rises); its refresh tokens survive, since they cannot be used without the new secret
   * (the policy SECURITY.md states: the legitimate client's users need not sign in again). With a grace period both secrets work until it ends and issued tokens stay
   * valid; a secret kept by an earlier grace is dropped (only one previous secret is
   * kept). Recorded as `client.rotate_secret` (never the secret).
   */
  async rotateSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    return audited(this.deps.audit, await this.actionFor(clientId, 'rotate_secret'), { tenant: null, target: clientId }, () => this.replaceSecret(clientId, options), ({ client }) => ({
      tenant: client.tenantSlug,
      details: { graceSeconds: options.graceSeconds ?? 0 },
    }));
  }

  private async replaceSecret(clientId: string, options: { graceSeconds?: number }): Promise<RotatedSecret> {
    const client = await requireClient(this.deps.clients, clientId);
    if (client.isPublic || client.secretDigest === null) throw new ValidationError(`client ${clientId} is a public client and has no secret`, { field: 'client_id' });
    const now = this.clock();
    const secret = generateClientSecret();
    const grace = options.graceSeconds ?? 0;
    const previousSecretExpiresAt = grace > 0 ? now + grace * 1000 : null;
    const updated = await this.deps.clients.updateClientSecret(clientId, {
      expectedSecretDigest: client.secretDigest,
      secretDigest: digestSecret(secret, this.deps.digestKey),
      previousSecretDigest: grace > 0 ? client.secretDigest : null,
      previousSecretExpiresAt,
      revokeTokens: grace === 0,
    });
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return { client: updated, secret, previousSecretExpiresAt };
  }

  /**
   * Disables the client: it can no longer authenticate, its tokens stop being active, and
   * its grants are revoked for good (ClientStore.setClientDisabled: enabling it again
   * brings back no refresh token; its users authorize again). Recorded as `client.disable`.
   */
  async disable(clientId: string): Promise<Client> {
    return audited(this.deps.audit, await this.actionFor(clientId, 'disable'), { tenant: null, target: clientId }, () => this.setDisabled(clientId, true), (client) => ({ tenant: client.tenantSlug }));
  }

  /** Re-enables a disabled client; tokens revoked by disabling stay revoked. Recorded as `client.enable`. */
  async enable(clientId: string): Promise<Client> {
    return audited(this.deps.audit, await this.actionFor(clientId, 'enable'), { tenant: null, target: clientId }, () => this.setDisabled(clientId, false), (client) => ({ tenant: client.tenantSlug }));
  }

  private async setDisabled(clientId: string, disabled: boolean): Promise<Client> {
    const updated = await this.deps.clients.setClientDisabled(clientId, disabled);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }
}

/**
 * gatehouse:admin on a tenant's client (README, "Admin API tokens"): its admin API tokens manage
 * its tenant, so only a confidential client that uses client_credentials alone may hold
 * it (never through a user's consent, a code or a refresh token). As a default scope it
 * must stand alone: a request without `scope` would otherwise ask for an admin API token
 * and document API scopes at once, which is always refused.
 */
function checkAdminScope(settings: Pick<ClientSettings, 'scopes' | 'defaultScopes'>, client: Pick<Client, 'isPublic' | 'grantTypes'>): void {
  if (!settings.scopes.includes(ADMIN_SCOPE)) return;
  if (client.isPublic) throw new ValidationError('scope gatehouse:admin needs a confidential client: admin API tokens come from the client_credentials grant only');
  const others = client.grantTypes.filter((type) => type !== 'client_credentials');
  if (others.length > 0) {
    throw new ValidationError(`scope gatehouse:admin needs a client that uses client_credentials only (this one also uses ${others.join(', ')}): admin API tokens are never granted by a user`);
  }
  if (settings.defaultScopes.includes(ADMIN_SCOPE) && settings.defaultScopes.length > 1) {
    throw new ValidationError('default scope gatehouse:admin must stand alone: an admin API token carries no other scope');
  }
}

/** An operator client's scope is gatehouse:admin, and nothing else: it has no tenant to act for on a document API. */
function checkOperatorScope(scopes: readonly string[], defaultScopes: readonly string[]): void {
  const only = (list: readonly string[]) => list.length === 1 && list[0] === ADMIN_SCOPE;
  if (!only(scopes) || !only(defaultScopes)) {
    throw new ValidationError('an operator client gets admin API tokens only: its scope (and default scope) is gatehouse:admin, and nothing else');
  }
}

/**
 * A client_id: 120 random bits, base64url, never starting with "-", which a command line
 * reads as an option (`gatehouse client disable -x…` would fail one time in 64).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomToken(15);
    if (!id.startsWith('-')) return id;
  }
}

/** The shortest refresh idle/absolute lifetime: shorter is an access token with extra steps. */
const MIN_REFRESH_TTL = 60;
/**
 * The longest grace window. RFC 9700 §4.14.2 lets a rotated refresh token be honoured
 * briefly for a client that lost the response; every second of grace is a second in
 * which a stolen, already-rotated token still works, so it stays short.
 */
const MAX_REFRESH_GRACE = 300;

function checkRefreshSettings(input: Pick<CreateClientInput, 'refreshIdleTtl' | 'refreshAbsoluteTtl' | 'refreshGraceSeconds'>): { refreshIdleTtl: number; refreshAbsoluteTtl: number; refreshGraceSeconds: number } {
  const idle = input.refreshIdleTtl ?? DEFAULT_REFRESH_SETTINGS.refreshIdleTtl;
  const absolute = input.refreshAbsoluteTtl ?? DEFAULT_REFRESH_SETTINGS.refreshAbsoluteTtl;
  const grace = input.refreshGraceSeconds ?? DEFAULT_REFRESH_SETTINGS.refreshGraceSeconds;
  for (const [name, value] of [['refresh idle lifetime', idle], ['refresh absolute lifetime', absolute]] as const) {
    if (!Number.isSafeInteger(value) || value < MIN_REFRESH_TTL) throw new ValidationError(`the ${name} must be a whole number of seconds, at least ${formatDuration(MIN_REFRESH_TTL)}`, { field: name === 'refresh idle lifetime' ? 'refresh_idle_ttl' : 'refresh_absolute_ttl' });
  }
  if (idle > absolute) {
    throw new ValidationError(`the refresh idle lifetime (${formatDuration(idle)}) exceeds the refresh absolute lifetime (${formatDuration(absolute)})`, { field: 'refresh_idle_ttl' });
  }
  if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_REFRESH_GRACE) {
    throw new ValidationError(`the refresh grace window must be 0 to ${formatDuration(MAX_REFRESH_GRACE)} (RFC 9700 §4.14.2: keep it short)`, { field: 'refresh_grace' });
  }
  return { refreshIdleTtl: idle, refreshAbsoluteTtl: absolute, refreshGraceSeconds: grace };
}

function parseGrantTypes(requested: string[] | undefined, isPublic: boolean): GrantType[] {
  const values = requested && requested.length > 0 ? requested : [isPublic ? 'authorization_code' : 'client_credentials'];
  const grantTypes: GrantType[] = [];
  for (const value of values) {
    if (!isGrantType(value)) {
      throw new ValidationError(`unknown grant type "${value}": use client_credentials, authorization_code, refresh_token or implicit`, { field: 'grant_types' });
    }
    if (!grantTypes.includes(value)) grantTypes.push(value);
  }
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new ValidationError('a public client cannot use client_credentials (RFC 6749 §4.4 requires a confidential client)', { field: 'grant_types' });
  }
  return grantTypes;
}

