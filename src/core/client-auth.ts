import type { Config } from './config.js';
import { OAuthError } from './errors.js';
import type { Params } from './params.js';
import { secretMatches } from './secrets.js';
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
}

interface PresentedCredentials {
  clientId: string;
  secret: string | undefined;
  method: ClientAuthMethod;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 6749 §2.3.1: both parts are form-urlencoded before Base64 encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Reads the client's credentials from the Authorization header (client_secret_basic)
 * or the body (client_secret_post, or a public client's bare client_id). Using both
 * methods at once is `invalid_request` (RFC 6749 §2.3: a client MUST NOT use more than
 * one authentication method in each request).
 */
export function readClientCredentials(authorization: string | undefined, params: Params, realm: string): PresentedCredentials | undefined {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== undefined) {
    const challenge = { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` };
    const space = authorization.indexOf(' ');
    const scheme = space === -1 ? authorization : authorization.slice(0, space);
    if (scheme.toLowerCase() !== 'basic') {
      throw new OAuthError('invalid_client', 'client authentication failed: use HTTP Basic or client_secret_post', {
        headers: challenge,
      });
    }
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'the client used more than one authentication method (HTTP Basic and client_secret in the body)');
    }
    const encoded = authorization.slice(space + 1).trim();
    let decoded: string;
    try {
      if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw new Error('bad base64');
      decoded = utf8.decode(Buffer.from(encoded, 'base64'));
    } catch {
      throw new OAuthError('invalid_request', 'the Authorization header is not valid Basic credentials', { headers: challenge });
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OAuthError('invalid_request', 'the Basic credentials have no ":" separator', { headers: challenge });
    let clientId: string;
    let secret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new OAuthError('invalid_request', 'the Basic credentials are not correctly form-urlencoded', { headers: challenge });
    }
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new OAuthError('invalid_request', 'the client_id in the body differs from the one in the Authorization header');
    }
    if (clientId === '') throw new OAuthError('invalid_client', 'client authentication failed', { headers: challenge });
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
 * answer. Failures are counted per client_id and per source address: an address over
 * its limit is refused (429) before any lookup; a client_id over its limit makes
 * further *failures* for it 429, while a request with the right secret still succeeds,
 * so an attacker cannot lock a legitimate client out (secrets are 256-bit random, so
 * guessing one is hopeless anyway; the throttle bounds load and noise).
 */
export async function authenticateClient(
  request: { authorization: string | undefined; ip: string },
  params: Params,
  deps: ClientAuthDeps,
  now: number,
): Promise<AuthenticatedClient> {
  const { config, throttle } = deps;
  const addressKey = `addr:${request.ip}`;
  const address = await throttle.peek(addressKey, now);
  if (address.count >= config.throttleMaxFailuresPerAddress) throw tooManyFailures(address.resetAt, now);

  const basic = request.authorization !== undefined;
  const challenge: Record<string, string> = basic ? { 'WWW-Authenticate': `Basic realm="${config.issuer}", charset="UTF-8"` } : {};
  const credentials = readClientCredentials(request.authorization, params, config.issuer);
  if (credentials === undefined) {
    throw new OAuthError('invalid_client', 'client authentication failed: no client credentials were sent', { headers: challenge });
  }

  const client = await deps.clients.findClient(credentials.clientId);
  const authenticated = verifyCredentials(client, credentials, deps.digestKey, now);
  if (authenticated) return { client: authenticated, method: credentials.method };

  const windowMs = config.throttleWindow * 1000;
  const [perAddress, perClient] = await Promise.all([
    throttle.hit(addressKey, windowMs, now),
    throttle.hit(`client:${credentials.clientId}`, windowMs, now),
  ]);
  if (perAddress.count > config.throttleMaxFailuresPerAddress) throw tooManyFailures(perAddress.resetAt, now);
  if (perClient.count > config.throttleMaxFailuresPerClient) throw tooManyFailures(perClient.resetAt, now);
  throw new OAuthError('invalid_client', FAILED, { headers: challenge });
}

function verifyCredentials(client: Client | undefined, credentials: PresentedCredentials, digestKey: Buffer, now: number): Client | undefined {
  if (credentials.method === 'none') {
    // A bare client_id authenticates nobody; it identifies a public client (RFC 6749 §2.1).
    return client && client.isPublic && !client.disabled ? client : undefined;
  }
  const previousValid = client?.previousSecretExpiresAt != null && client.previousSecretExpiresAt > now;
  const digests = client ? [client.secretDigest, previousValid ? client.previousSecretDigest : null] : [null];
  // The digest is computed even for an unknown client so that timing does not tell.
  const matched = secretMatches(credentials.secret ?? '', digests, digestKey);
  if (!client || client.disabled || client.isPublic || !matched) return undefined;
  return client;
}

function tooManyFailures(resetAt: number, now: number): OAuthError {
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
  return new OAuthError('temporarily_unavailable', `too many failed client authentications; retry after ${retryAfter} seconds`, {
    status: 429,
    headers: { 'Retry-After': String(retryAfter) },
  });
}
