import type { Config } from '../config.js';
import { formatDuration } from '../duration.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { parseScopeList } from '../scope.js';
import { digestSecret, generateClientSecret, randomToken } from '../secrets.js';
import { DEFAULT_REFRESH_SETTINGS, type ClientSettings, type ClientStore, type TenantStore } from '../storage.js';
import { isGrantType, type Client, type GrantType } from '../types.js';
import { audited, type AdminAudit } from './audited.js';
import { checkAccessTokenTtl, requireClient, requireTenant } from './lookups.js';
import { refuseCommaSeparatedScopes } from './scopes.js';

export interface ClientServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  clients: Pick<ClientStore, 'createClient' | 'findClient' | 'listClients' | 'updateClientSecret' | 'setClientDisabled' | 'updateClient' | 'deleteClient'>;
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

/** API clients: registration, secrets, disabling. */
export class ClientService {
  private readonly clock: () => number;

  constructor(private readonly deps: ClientServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Recorded as `client.create`: the client's id and settings, never its secret. */
  create(input: CreateClientInput): Promise<CreatedClient> {
    return audited(this.deps.audit, 'client.create', { tenant: input.tenant, target: null }, () => this.createClient(input), ({ client }) => ({
      tenant: client.tenantSlug,
      target: client.id,
      details: { name: client.name, grantTypes: client.grantTypes, scope: client.scopes.join(' '), public: client.isPublic, resourceServer: client.resourceServer },
    }));
  }

  private async createClient(input: CreateClientInput): Promise<CreatedClient> {
    const tenant = await requireTenant(this.deps.tenants, input.tenant);
    const isPublic = input.isPublic ?? false;
    if (isPublic && input.resourceServer) throw new ValidationError('a resource server must be a confidential client (it authenticates to read the revocation feed)', { field: 'resource_server' });
    const grantTypes = parseGrantTypes(input.grantTypes, isPublic);
    const settings = this.checkSettings(input, input.scope === undefined);
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
   * Recorded as `client.update` with the client's name and scopes after the change.
   */
  update(clientId: string, input: UpdateClientInput): Promise<Client> {
    return audited(this.deps.audit, 'client.update', { tenant: null, target: clientId }, () => this.updateClient(clientId, input), (client) => ({
      tenant: client.tenantSlug,
      details: { name: client.name, grantTypes: client.grantTypes, scope: client.scopes.join(' ') },
    }));
  }

  private async updateClient(clientId: string, input: UpdateClientInput): Promise<Client> {
    const client = await requireClient(this.deps.clients, clientId);
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
    );
    const updated = await this.deps.clients.updateClient(clientId, { ...settings, grantTypes });
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  /**
   * Deletes the client (ClientStore.deleteClient: softly): it can no longer authenticate,
   * so its refresh tokens and grants stop working, and every token issued to it is
   * revoked, on the revocation feed too. Its id is never reused. Recorded as `client.delete`.
   */
  delete(clientId: string): Promise<Client> {
    return audited(this.deps.audit, 'client.delete', { tenant: null, target: clientId }, () => this.deleteClient(clientId), (client) => ({ tenant: client.tenantSlug, details: { name: client.name } }));
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
  private checkSettings(input: Omit<CreateClientInput, 'tenant'>, addDefaults: boolean): Omit<ClientSettings, 'grantTypes'> {
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
      redirectUris: (input.redirectUris ?? []).map(validateRedirectUri),
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
   * rises). With a grace period both secrets work until it ends and issued tokens stay
   * valid; a secret kept by an earlier grace is dropped (only one previous secret is
   * kept). Recorded as `client.rotate_secret` (never the secret).
   */
  rotateSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    return audited(this.deps.audit, 'client.rotate_secret', { tenant: null, target: clientId }, () => this.replaceSecret(clientId, options), ({ client }) => ({
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

  /** Disables the client: it can no longer authenticate and its tokens stop being active. Recorded as `client.disable`. */
  disable(clientId: string): Promise<Client> {
    return audited(this.deps.audit, 'client.disable', { tenant: null, target: clientId }, () => this.setDisabled(clientId, true), (client) => ({ tenant: client.tenantSlug }));
  }

  /** Re-enables a disabled client; tokens revoked by disabling stay revoked. Recorded as `client.enable`. */
  enable(clientId: string): Promise<Client> {
    return audited(this.deps.audit, 'client.enable', { tenant: null, target: clientId }, () => this.setDisabled(clientId, false), (client) => ({ tenant: client.tenantSlug }));
  }

  private async setDisabled(clientId: string, disabled: boolean): Promise<Client> {
    const updated = await this.deps.clients.setClientDisabled(clientId, disabled);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
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

/** RFC 6749 §3.1.2: an absolute URI without a fragment. */
function validateRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ValidationError(`invalid redirect URI "${uri}": it must be an absolute URI`, { field: 'redirect_uris' });
  }
  if (uri.includes('#')) throw new ValidationError(`invalid redirect URI "${uri}": it must not contain a fragment`, { field: 'redirect_uris' });
  if (url.protocol === 'javascript:' || url.protocol === 'data:') throw new ValidationError(`invalid redirect URI "${uri}": scheme not allowed`, { field: 'redirect_uris' });
  return uri;
}
