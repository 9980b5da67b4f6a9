import type { AuditRecorder } from './audit.js';
import type { Config } from './config.js';
import type { CoreMetrics } from './metrics.js';
import { OAuthError } from './errors.js';
import type { Params } from './params.js';
import { CLIENT_SECRET_PREFIX, secretMatches } from './secrets.js';
import type { ClientStore, ThrottleStore } from './storage.js';
import type { Client } from './types.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export const SUPPORTED_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

export interface ClientAuthDeps {
  clients: Pick<ClientStore, 'findClient'>;
  throttle: ThrottleStore;
  digestKey: Buffer;
  config: Pick<Config, 'issuer' | 'throttleWindow' | 'throttleMaxFailuresPerClient' | 'throttleMaxFailuresPerAddress'>;
  /** Records a burst of failures crossing a throttle limit (once per window and key). */
  audit: AuditRecorder;
  /** Counts failed authentications (core/metrics.ts); none when absent. */
  metrics?: Pick<CoreMetrics, 'clientAuthenticationFailed'>;
}

export interface PresentedCredentials {
  clientId: string;
  secret: string | undefined;
  method: ClientAuthMethod;
}

/** The client tried HTTP Basic, but the Authorization header could not be read as Basic credentials. */
export interface MalformedCredentials {
  malformed: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The longest client_id we ever issue is far shorter; anything longer is not one of ours. */
export const MAX_CLIENT_ID_LENGTH = 128;
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Whether a presented client_id could name a client at all. Empty, overlong ids and ids
 * with control characters (a NUL byte makes PostgreSQL refuse the query) are treated as
 * unknown clients without a storage lookup.
 */
export function isWellFormedClientId(clientId: string): boolean {
  return clientId !== '' && clientId.length <= MAX_CLIENT_ID_LENGTH && !CONTROL_CHARACTER.test(clientId);
}

/**
 * The challenge of every `invalid_client` answer: RFC 6749 §5.2 requires it when the
 * client used the Authorization header, and RFC 9110 §15.5.2 requires a challenge on
 * every 401.
 */
export function basicChallenge(realm: string): Record<string, string> {
  return { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` };
}

/** RFC 6749 §2.3.1: both parts are form-urlencoded before Base64 encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Reads the client's credentials from the Authorization header (client_secret_basic)
 * or the body (client_secret_post, or a public client's bare client_id).
 *
 * - undefined: no credentials at all;
 * - `{ malformed }`: the client attempted HTTP authentication but the header is not
 *   readable Basic credentials (RFC 6749 §5.2: `invalid_client`, 401);
 * - throws `invalid_request` when the request is ambiguous: both methods at once
 *   (RFC 6749 §2.3: a client MUST NOT use more than one authentication method in each
 *   request), or a body client_id that differs from the Basic one.
 */
export function readClientCredentials(authorization: string | undefined, params: Params): PresentedCredentials | MalformedCredentials | undefined {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const scheme = space === -1 ? authorization : authorization.slice(0, space);
    if (scheme.toLowerCase() !== 'basic') return { malformed: 'client authentication failed: use HTTP Basic or client_secret_post' };
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'the client used more than one authentication method (HTTP Basic and client_secret in the body)');
    }
    const encoded = space === -1 ? '' : authorization.slice(space + 1).trim();
    let decoded: string;
    try {
      if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw new Error('bad base64');
      decoded = utf8.decode(Buffer.from(encoded, 'base64'));
    } catch {
      return { malformed: 'client authentication failed: the Authorization header is not valid Basic credentials' };
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) return { malformed: 'client authentication failed: the Basic credentials have no colon separator' };
    let clientId: string;
    let secret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      return { malformed: 'client authentication failed: the Basic credentials are not correctly form-urlencoded' };
    }
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new OAuthError('invalid_request', 'the client_id in the body differs from the one in the Authorization header');
    }
    return { clientId, secret, method: 'client_secret_basic' };
  }
  if (bodyId === undefined) {
    if (bodySecret !== undefined) throw new OAuthError('invalid_request', 'client_secret was sent without client_id');
    return undefined;
  }
  return { clientId: bodyId, secret: bodySecret, method: bodySecret === undefined ? 'none' : 'client_secret_post' };
}

const FAILED = 'client authentication failed';

/**
 * Authenticates the client of a token, introspection or revocation request.
 *
 * Unknown client, wrong secret and disabled client give the same `invalid_client`
 * answer (401, with a Basic challenge). Only failures are throttled: a request with the
 * right credentials does no throttle work at all and is never refused or delayed (behind
 * a load balancer every client shares one source address). A failure is counted for the
 * source address and for the client_id; when either count is over its limit the failure
 * is answered 429 `temporarily_unavailable` with Retry-After instead of 401. Secrets are
 * 256-bit random, so guessing one is hopeless anyway; the throttle bounds load and noise.
 */
export async function authenticateClient(
  request: { authorization: string | undefined; ip: string },
  params: Params,
  deps: ClientAuthDeps,
  now: number,
): Promise<AuthenticatedClient> {
  const presented = readClientCredentials(request.authorization, params);
  if (presented === undefined || 'malformed' in presented) {
    deps.metrics?.clientAuthenticationFailed(undefined);
    return fail(deps, request.ip, undefined, presented === undefined ? `${FAILED}: no client credentials were sent` : presented.malformed, now);
  }

  const wellFormed = isWellFormedClientId(presented.clientId);
  // A malformed id is an unknown client, found without asking the storage.
  const client = wellFormed ? await deps.clients.findClient(presented.clientId) : undefined;
  const authenticated = verifyCredentials(client, presented, deps.digestKey, now);
  if (authenticated) return { client: authenticated, method: presented.method };
  // Labelled (when opted in) only by a client that exists: a presented id is attacker-chosen.
  deps.metrics?.clientAuthenticationFailed(client);
  return fail(deps, request.ip, wellFormed ? presented.clientId : undefined, FAILED, now);
}

/** Counts a failed authentication and answers it: 429 when over a limit, else 401 invalid_client. */
async function fail(deps: ClientAuthDeps, ip: string, clientId: string | undefined, description: string, now: number): Promise<never> {
  const { config, throttle } = deps;
  const windowMs = config.throttleWindow * 1000;
  const [perAddress, perClient] = await Promise.all([
    throttle.hit(`addr:${ip}`, windowMs, now),
    clientId === undefined ? undefined : throttle.hit(`client:${clientId}`, windowMs, now),
  ]);
  // The one failure that crosses a limit is recorded (the counter is shared, so exactly
  // one request of a window sees the count one over the limit); the refusals after it are not.
  const actor = clientId === undefined || clientId.startsWith(CLIENT_SECRET_PREFIX) ? 'anonymous' : clientId;
  const details = { address: ip, windowSeconds: config.throttleWindow };
  if (perAddress.count === config.throttleMaxFailuresPerAddress + 1) {
    await deps.audit.record({ actor, tenant: null, action: 'client_auth.throttled', target: `address:${ip}`, outcome: 'refused', details: { ...details, limit: config.throttleMaxFailuresPerAddress } });
  }
  if (perClient && perClient.count === config.throttleMaxFailuresPerClient + 1 && actor !== 'anonymous') {
    await deps.audit.record({ actor, tenant: null, action: 'client_auth.throttled', target: `client:${actor}`, outcome: 'refused', details: { ...details, limit: config.throttleMaxFailuresPerClient } });
  }
  if (perAddress.count > config.throttleMaxFailuresPerAddress) throw tooManyFailures(perAddress.resetAt, now);
  if (perClient && perClient.count > config.throttleMaxFailuresPerClient) throw tooManyFailures(perClient.resetAt, now);
  throw new OAuthError('invalid_client', description, { headers: basicChallenge(config.issuer) });
}

function verifyCredentials(client: Client | undefined, credentials: PresentedCredentials, digestKey: Buffer, now: number): Client | undefined {
  if (credentials.method === 'none') {
    // A bare client_id authenticates nobody; it identifies a public client (RFC 6749 §2.1).
    return client && client.isPublic && !client.disabled && !client.tenantDisabled ? client : undefined;
  }
  const previousValid = client?.previousSecretExpiresAt != null && client.previousSecretExpiresAt > now;
  const digests = client ? [client.secretDigest, previousValid ? client.previousSecretDigest : null] : [null];
  // The digest is computed even for an unknown client so that timing does not tell.
  const matched = secretMatches(credentials.secret ?? '', digests, digestKey);
  if (!client || client.disabled || client.tenantDisabled || client.isPublic || !matched) return undefined;
  return client;
}

function tooManyFailures(resetAt: number, now: number): OAuthError {
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
  return new OAuthError('temporarily_unavailable', `too many failed client authentications; retry after ${retryAfter} seconds`, {
    status: 429,
    headers: { 'Retry-After': String(retryAfter) },
  });
}
