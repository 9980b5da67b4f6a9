import type { Config } from './config.js';
import { NotFoundError, ValidationError } from './errors.js';
import { generateSigningKey } from './keys.js';
import { parseScopeList } from './scope.js';
import { digestSecret, generateClientSecret, randomToken } from './secrets.js';
import type { Storage } from './storage.js';
import { isGrantType, type Client, type GrantType, type SigningAlgorithm, type SigningKey, type Tenant } from './types.js';

/**
 * Operator actions (tenants, clients, secrets, keys). The CLI and the admin API call
 * these; they own no logic of their own.
 */
export interface AdminDeps {
  storage: Pick<Storage, 'tenants' | 'clients' | 'keys'>;
  digestKey: Buffer;
  keyEncryptionKey: Buffer;
  config: Pick<Config, 'accessTokenTtl'>;
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

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Slack added to key retention, for verifiers whose clocks run behind. */
const KEY_RETENTION_SKEW_SECONDS = 300;

export class AdminService {
  private readonly clock: () => number;

  constructor(private readonly deps: AdminDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async createTenant(input: { slug: string; name?: string; accessTokenTtl?: number | null }): Promise<Tenant> {
    if (!SLUG.test(input.slug)) {
      throw new ValidationError(`invalid tenant slug "${input.slug}": use 1-63 lowercase letters, digits and inner hyphens`);
    }
    const name = (input.name ?? input.slug).trim();
    if (name === '' || name.length > 200) throw new ValidationError('a tenant name must be 1-200 characters');
    return this.deps.storage.tenants.createTenant({ slug: input.slug, name, accessTokenTtl: input.accessTokenTtl ?? null });
  }

  listTenants(): Promise<Tenant[]> {
    return this.deps.storage.tenants.listTenants();
  }

  async listClients(tenantSlug: string): Promise<Client[]> {
    const tenant = await this.requireTenant(tenantSlug);
    return this.deps.storage.clients.listClients(tenant.id);
  }

  async createClient(input: CreateClientInput): Promise<CreatedClient> {
    const tenant = await this.requireTenant(input.tenant);
    const name = input.name.trim();
    if (name === '' || name.length > 200) throw new ValidationError('a client name must be 1-200 characters');
    const isPublic = input.isPublic ?? false;
    const grantTypes = parseGrantTypes(input.grantTypes, isPublic);
    const scopes = parseScopeList(input.scope ?? '');
    const defaultScopes = parseScopeList(input.defaultScope ?? '');
    const outside = defaultScopes.filter((scope) => !scopes.includes(scope));
    // A default scope the client could not request itself would be a silent escalation.
    if (input.scope === undefined && defaultScopes.length > 0) scopes.push(...defaultScopes);
    else if (outside.length > 0) throw new ValidationError(`default scope "${outside.join(' ')}" is not among the client's scopes (--scope)`);
    const redirectUris = (input.redirectUris ?? []).map(validateRedirectUri);
    const secret = isPublic ? undefined : generateClientSecret();
    const client = await this.deps.storage.clients.createClient({
      id: randomToken(15),
      tenantId: tenant.id,
      name,
      isPublic,
      secretDigest: secret === undefined ? null : digestSecret(secret, this.deps.digestKey),
      grantTypes,
      scopes: [...new Set(scopes)].sort(),
      defaultScopes,
      redirectUris,
      accessTokenTtl: input.accessTokenTtl ?? null,
    });
    return secret === undefined ? { client } : { client, secret };
  }

  /**
   * Issues a new secret. Without a grace period the old secret stops working at once
   * and every access token issued to the client so far is revoked (the revocation
   * epoch moves to the next second). With a grace period both secrets work until it
   * ends and issued tokens stay valid.
   */
  async rotateClientSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    const client = await this.requireClient(clientId);
    if (client.isPublic || client.secretDigest === null) throw new ValidationError(`client ${clientId} is a public client and has no secret`);
    const now = this.clock();
    const secret = generateClientSecret();
    const grace = options.graceSeconds ?? 0;
    const previousSecretExpiresAt = grace > 0 ? now + grace * 1000 : null;
    const updated = await this.deps.storage.clients.updateClientSecret(clientId, {
      secretDigest: digestSecret(secret, this.deps.digestKey),
      previousSecretDigest: grace > 0 ? client.secretDigest : null,
      previousSecretExpiresAt,
      ...(grace > 0 ? {} : { tokensNotBefore: Math.floor(now / 1000) + 1 }),
    });
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return { client: updated, secret, previousSecretExpiresAt };
  }

  /** Disables the client: it can no longer authenticate and its tokens stop being active. */
  async disableClient(clientId: string): Promise<Client> {
    await this.requireClient(clientId);
    const updated = await this.deps.storage.clients.setClientDisabled(clientId, true, Math.floor(this.clock() / 1000) + 1);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  /** Re-enables a disabled client; tokens revoked by disabling stay revoked. */
  async enableClient(clientId: string): Promise<Client> {
    const client = await this.requireClient(clientId);
    const updated = await this.deps.storage.clients.setClientDisabled(clientId, false, client.tokensNotBefore);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  /**
   * Makes a new signing key active at once. Retired keys stay in the JWKS until every
   * token they signed has expired: the longest lifetime any client or tenant may give a
   * token, plus clock-skew slack.
   */
  async rotateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
    const now = this.clock();
    const key = await generateSigningKey(alg, this.deps.keyEncryptionKey, now);
    const longest = Math.max((await this.deps.storage.clients.longestAccessTokenTtl()) ?? 0, this.deps.config.accessTokenTtl);
    await this.deps.storage.keys.activateKey(key, now, now + (longest + KEY_RETENTION_SKEW_SECONDS) * 1000);
    return key;
  }

  /** Generates the first signing key when none is active (first start). Returns it, or undefined. */
  async ensureSigningKey(alg: SigningAlgorithm): Promise<SigningKey | undefined> {
    const keys = await this.deps.storage.keys.listPublishedKeys(this.clock());
    if (keys.some((key) => key.active)) return undefined;
    return this.rotateSigningKey(alg);
  }

  listPublishedKeys(): Promise<SigningKey[]> {
    return this.deps.storage.keys.listPublishedKeys(this.clock());
  }

  private async requireTenant(slug: string): Promise<Tenant> {
    const tenant = await this.deps.storage.tenants.findTenantBySlug(slug);
    if (!tenant) throw new NotFoundError(`unknown tenant "${slug}" (create it with: gatehouse tenant create ${SLUG.test(slug) ? slug : '<slug>'})`);
    return tenant;
  }

  private async requireClient(clientId: string): Promise<Client> {
    const client = await this.deps.storage.clients.findClient(clientId);
    if (!client) throw new NotFoundError(`no client with id "${clientId}"`);
    return client;
  }
}

function parseGrantTypes(requested: string[] | undefined, isPublic: boolean): GrantType[] {
  const values = requested && requested.length > 0 ? requested : [isPublic ? 'authorization_code' : 'client_credentials'];
  const grantTypes: GrantType[] = [];
  for (const value of values) {
    if (!isGrantType(value)) {
      throw new ValidationError(`unknown grant type "${value}": use client_credentials, authorization_code, refresh_token or implicit`);
    }
    if (!grantTypes.includes(value)) grantTypes.push(value);
  }
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new ValidationError('a public client cannot use client_credentials (RFC 6749 §4.4 requires a confidential client)');
  }
  return grantTypes;
}

/** RFC 6749 §3.1.2: an absolute URI without a fragment. */
function validateRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ValidationError(`invalid redirect URI "${uri}": it must be an absolute URI`);
  }
  if (uri.includes('#')) throw new ValidationError(`invalid redirect URI "${uri}": it must not contain a fragment`);
  if (url.protocol === 'javascript:' || url.protocol === 'data:') throw new ValidationError(`invalid redirect URI "${uri}": scheme not allowed`);
  return uri;
}
