import type { Config } from './config.js';
import { NotFoundError, ValidationError } from './errors.js';
import { formatDuration } from './duration.js';
import { ConflictError } from './errors.js';
import { generateSigningKey, keyRetentionMs } from './keys.js';
import { checkPasswordPolicy, hashPassword } from './password.js';
import { isScopeToken, parseScopeList } from './scope.js';
import { digestSecret, generateClientSecret, randomToken } from './secrets.js';
import { DEFAULT_REFRESH_SETTINGS, type Storage } from './storage.js';
import { isGrantType, type Client, type GrantType, type SigningAlgorithm, type SigningKey, type Tenant } from './types.js';
import type { ScopeDefinition, User } from './types.js';
import { checkUsername } from './username.js';

/**
 * Operator actions (tenants, clients, secrets, keys). The CLI and the admin API call
 * these; they own no logic of their own.
 */
export interface AdminDeps {
  storage: Pick<Storage, 'tenants' | 'clients' | 'keys' | 'users' | 'scopes' | 'grants'>;
  digestKey: Buffer;
  keyEncryptionKey: Buffer;
  config: Pick<Config, 'accessTokenTtl' | 'maxAccessTokenTtl' | 'signingAlgorithm'>;
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

export interface PublishedKey extends SigningKey {
  /** When a retired key leaves the JWKS (epoch ms); null for the active key. */
  publishedUntil: number | null;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

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
    this.checkTtl(input.accessTokenTtl);
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
    if (isPublic && input.resourceServer) throw new ValidationError('a resource server must be a confidential client (it authenticates to read the revocation feed)');
    this.checkTtl(input.accessTokenTtl);
    const grantTypes = parseGrantTypes(input.grantTypes, isPublic);
    const scopes = parseScopeList(input.scope ?? '');
    const defaultScopes = parseScopeList(input.defaultScope ?? '');
    const outside = defaultScopes.filter((scope) => !scopes.includes(scope));
    // A default scope the client could not request itself would be a silent escalation.
    if (input.scope === undefined && defaultScopes.length > 0) scopes.push(...defaultScopes);
    else if (outside.length > 0) throw new ValidationError(`default scope "${outside.join(' ')}" is not among the client's scopes (--scope)`);
    const redirectUris = (input.redirectUris ?? []).map(validateRedirectUri);
    const refresh = checkRefreshSettings(input);
    const secret = isPublic ? undefined : generateClientSecret();
    const client = await this.deps.storage.clients.createClient({
      id: newClientId(),
      tenantId: tenant.id,
      name,
      isPublic,
      secretDigest: secret === undefined ? null : digestSecret(secret, this.deps.digestKey),
      grantTypes,
      scopes: [...new Set(scopes)].sort(),
      defaultScopes,
      redirectUris,
      accessTokenTtl: input.accessTokenTtl ?? null,
      resourceServer: input.resourceServer ?? false,
      ...refresh,
    });
    return secret === undefined ? { client } : { client, secret };
  }

  /**
   * Issues a new secret. Without a grace period the old secret stops working at once
   * and every access token issued to the client so far is revoked (its revocation epoch
   * rises). With a grace period both secrets work until it ends and issued tokens stay
   * valid; a secret kept by an earlier grace is dropped (only one previous secret is
   * kept).
   */
  async rotateClientSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    const client = await this.requireClient(clientId);
    if (client.isPublic || client.secretDigest === null) throw new ValidationError(`client ${clientId} is a public client and has no secret`);
    const now = this.clock();
    const secret = generateClientSecret();
    const grace = options.graceSeconds ?? 0;
    const previousSecretExpiresAt = grace > 0 ? now + grace * 1000 : null;
    const updated = await this.deps.storage.clients.updateClientSecret(clientId, {
      expectedSecretDigest: client.secretDigest,
      secretDigest: digestSecret(secret, this.deps.digestKey),
      previousSecretDigest: grace > 0 ? client.secretDigest : null,
      previousSecretExpiresAt,
      revokeTokens: grace === 0,
    });
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return { client: updated, secret, previousSecretExpiresAt };
  }

  /** Disables the client: it can no longer authenticate and its tokens stop being active. */
  async disableClient(clientId: string): Promise<Client> {
    const updated = await this.deps.storage.clients.setClientDisabled(clientId, true);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  /** Re-enables a disabled client; tokens revoked by disabling stay revoked. */
  async enableClient(clientId: string): Promise<Client> {
    const updated = await this.deps.storage.clients.setClientDisabled(clientId, false);
    if (!updated) throw new NotFoundError(`no client with id "${clientId}"`);
    return updated;
  }

  async showClient(clientId: string): Promise<Client> {
    return this.requireClient(clientId);
  }

  /**
   * Makes a new signing key active at once; running servers switch to it within a
   * second. The previous key stays published for `maxAccessTokenTtl` plus clock skew,
   * so every token it signed can still be verified. Without `alg`, the active key's
   * algorithm is kept (else the configured one).
   */
  async rotateSigningKey(alg?: SigningAlgorithm): Promise<SigningKey> {
    const now = this.clock();
    const current = (await this.deps.storage.keys.listPublishedKeys(now)).find((key) => key.active);
    const key = await generateSigningKey(alg ?? current?.alg ?? this.deps.config.signingAlgorithm, this.deps.keyEncryptionKey, now);
    await this.deps.storage.keys.activateKey(key, now);
    return key;
  }

  /** Generates the first signing key when none is active (first start). Returns it, or undefined. */
  async ensureSigningKey(alg: SigningAlgorithm): Promise<SigningKey | undefined> {
    const keys = await this.deps.storage.keys.listPublishedKeys(this.clock());
    if (keys.some((key) => key.active)) return undefined;
    return this.rotateSigningKey(alg);
  }

  /**
   * Withdraws a retired signing key at once, for a compromised key: it leaves the JWKS
   * and every token it signed stops verifying. The active key must be rotated first.
   */
  async withdrawSigningKey(kid: string): Promise<void> {
    const outcome = await this.deps.storage.keys.withdrawKey(kid, this.clock());
    if (outcome === 'not_found') throw new NotFoundError(`no signing key with kid "${kid}"`);
    if (outcome === 'active') throw new ConflictError(`key ${kid} is the active signing key: run \`gatehouse keys rotate\` first, then withdraw it`);
  }

  /** The keys in the JWKS, with when each retired one leaves it. */
  async listPublishedKeys(): Promise<PublishedKey[]> {
    const retention = keyRetentionMs(this.deps.config);
    const keys = await this.deps.storage.keys.listPublishedKeys(this.clock() - retention);
    return keys.map((key) => ({ ...key, publishedUntil: key.retiredAt === null ? null : key.retiredAt + retention }));
  }

  // --- Users and scope descriptions (issue 4) ---

  /**
   * Creates a user in a tenant. The password must pass the policy (at least 10
   * characters); only its scrypt hash is stored. ConflictError when the username is
   * taken in any letter case.
   */
  async createUser(input: { tenant: string; username: string; password: string }): Promise<User> {
    checkUsername(input.username);
    checkPasswordPolicy(input.password);
    const tenant = await this.requireTenant(input.tenant);
    const passwordHash = await hashPassword(input.password);
    return this.deps.storage.users.createUser({ username: input.username, passwordHash, tenantIds: [tenant.id] });
  }

  /** Adds the user to another tenant; `added` is false when it belonged to it already. */
  async addUserToTenant(username: string, tenantSlug: string): Promise<{ user: User; added: boolean }> {
    const user = await this.requireUser(username);
    const tenant = await this.requireTenant(tenantSlug);
    const added = await this.deps.storage.users.addUserToTenant(user.id, tenant.id);
    return { user: await this.requireUser(username), added };
  }

  async listUsers(tenantSlug: string): Promise<User[]> {
    const tenant = await this.requireTenant(tenantSlug);
    return this.deps.storage.users.listUsers(tenant.id);
  }

  /** Replaces the user's password (same policy as createUser). */
  async setUserPassword(username: string, password: string): Promise<User> {
    checkPasswordPolicy(password);
    const user = await this.requireUser(username);
    const updated = await this.deps.storage.users.setPassword(user.id, await hashPassword(password));
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    return updated;
  }

  /** Disables the user: it can no longer log in, and its revocation epoch rises. */
  async disableUser(username: string): Promise<User> {
    return this.setUserDisabled(username, true);
  }

  /** Re-enables a disabled user. */
  async enableUser(username: string): Promise<User> {
    return this.setUserDisabled(username, false);
  }

  /**
   * Creates a scope in the tenant's catalogue with its description (shown on the consent
   * page), or replaces the description of an existing one.
   */
  async createScope(input: { tenant: string; name: string; description: string }): Promise<ScopeDefinition> {
    if (!isScopeToken(input.name)) {
      throw new ValidationError(`invalid scope name ${JSON.stringify(input.name)}: scope names are 1-200 printable ASCII characters without spaces, quotes or backslashes`);
    }
    const description = input.description.trim();
    if (description === '' || [...description].length > 500) throw new ValidationError('a scope description must be 1-500 characters');
    if (/\p{Cc}/u.test(description)) throw new ValidationError('a scope description must be one line of text, without control characters');
    const tenant = await this.requireTenant(input.tenant);
    return this.deps.storage.scopes.upsertScope(tenant.id, input.name, description);
  }

  async listScopes(tenantSlug: string): Promise<ScopeDefinition[]> {
    const tenant = await this.requireTenant(tenantSlug);
    return this.deps.storage.scopes.listScopes(tenant.id);
  }

  private async setUserDisabled(username: string, disabled: boolean): Promise<User> {
    const user = await this.requireUser(username);
    const updated = await this.deps.storage.users.setDisabled(user.id, disabled);
    if (!updated) throw new NotFoundError(`no user "${username}"`);
    // A disabled user's applications lose their access at once: every grant (refresh
    // tokens and the access tokens minted from them) is revoked. Enabling does not
    // bring them back: the user authorizes again.
    if (disabled) await this.deps.storage.grants.revokeGrantsOfUser(user.id, this.clock());
    return updated;
  }

  private async requireUser(username: string): Promise<User> {
    checkUsername(username);
    const found = await this.deps.storage.users.findUserByUsername(username);
    if (!found) throw new NotFoundError(`no user "${username}" (create it with: gatehouse user create --tenant <slug> --username ${username} --password-stdin)`);
    const { passwordHash: _hash, ...user } = found;
    return user;
  }

  // --- end of users and scope descriptions ---

  private checkTtl(ttl: number | null | undefined): void {
    const max = this.deps.config.maxAccessTokenTtl;
    if (ttl != null && ttl > max) {
      throw new ValidationError(`access token lifetime ${formatDuration(ttl)} exceeds the maximum of ${formatDuration(max)} (GATEHOUSE_MAX_ACCESS_TOKEN_TTL)`);
    }
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

/** The shortest refresh idle/absolute lifetime: shorter is an access token with extra steps. */
const MIN_REFRESH_TTL = 60;
/**
 * The longest grace window. RFC 9700 §4.14.2 lets a rotated refresh token be honoured
 * briefly for a client that lost the response; every second of grace is a second in
 * which a stolen, already-rotated token still works, so it stays short.
 */
const MAX_REFRESH_GRACE = 300;

function checkRefreshSettings(input: CreateClientInput): { refreshIdleTtl: number; refreshAbsoluteTtl: number; refreshGraceSeconds: number } {
  const idle = input.refreshIdleTtl ?? DEFAULT_REFRESH_SETTINGS.refreshIdleTtl;
  const absolute = input.refreshAbsoluteTtl ?? DEFAULT_REFRESH_SETTINGS.refreshAbsoluteTtl;
  const grace = input.refreshGraceSeconds ?? DEFAULT_REFRESH_SETTINGS.refreshGraceSeconds;
  for (const [name, value] of [['refresh idle lifetime', idle], ['refresh absolute lifetime', absolute]] as const) {
    if (!Number.isSafeInteger(value) || value < MIN_REFRESH_TTL) throw new ValidationError(`the ${name} must be a whole number of seconds, at least ${formatDuration(MIN_REFRESH_TTL)}`);
  }
  if (idle > absolute) {
    throw new ValidationError(`the refresh idle lifetime (${formatDuration(idle)}) exceeds the refresh absolute lifetime (${formatDuration(absolute)})`);
  }
  if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_REFRESH_GRACE) {
    throw new ValidationError(`the refresh grace window must be 0 to ${formatDuration(MAX_REFRESH_GRACE)} (RFC 9700 §4.14.2: keep it short)`);
  }
  return { refreshIdleTtl: idle, refreshAbsoluteTtl: absolute, refreshGraceSeconds: grace };
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
