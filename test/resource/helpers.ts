import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { KeySource, VerificationKey, Verifier } from '../../packages/resource/src/index.js';

export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'https://auth.test/api';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateTestKey(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256', kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/**
 * A KeySource over keys the test holds; counts lookups. Like remoteKeySource it also
 * answers synchronously (cachedKey), unless `sync: false`.
 */
export function staticKeySource(keys: TestKey[], { sync = true } = {}): KeySource & { lookups: string[] } {
  const lookups: string[] = [];
  const find = (kid: string): VerificationKey | undefined => {
    lookups.push(kid);
    const key = keys.find((candidate) => candidate.kid === kid);
    return key ? { key: key.publicKey, alg: key.alg } : undefined;
  };
  return { lookups, getKey: async (kid) => find(kid), ...(sync ? { cachedKey: find } : {}) };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims Gatehouse puts in an access token, with overrides (undefined removes a claim). */
export function claimsOf(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'client-1',
    aud: AUDIENCE,
    client_id: 'client-1',
    scope: 'documents:read',
    tenant: 'acme',
    jti: randomBytes(16).toString('base64url'),
    iat,
    exp: iat + 3600,
    client_epoch: 0,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/** Signs a token as Gatehouse does (`typ: at+jwt`, `kid`), with claim and header overrides. */
export async function signToken(
  key: TestKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  signOptions: { crit?: Record<string, boolean> } = {},
): Promise<string> {
  const protectedHeader: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  for (const [name, value] of Object.entries(protectedHeader)) if (value === undefined) delete protectedHeader[name];
  return new SignJWT(claimsOf(claims)).setProtectedHeader(protectedHeader as never).sign(key.privateKey, signOptions);
}

/** A compact JWS assembled by hand (for headers jose refuses to produce, such as `alg: none`). */
export function rawToken(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

/** RFC 6750 §3 challenge grammar, as Gatehouse writes it. */
const CHALLENGE = /^Bearer realm="(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"(?:, error="(invalid_request|invalid_token|insufficient_scope)")?(?:, error_description="([\x20-\x21\x23-\x5b\x5d-\x7e]*)")?(?:, scope="([\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*)")?$/;

export interface Challenge {
  error: string | undefined;
  description: string | undefined;
  scope: string | undefined;
}

/** Parses a WWW-Authenticate value, failing the test unless it is a well-formed RFC 6750 challenge. */
export function parseChallenge(value: unknown): Challenge {
  assert.equal(typeof value, 'string', 'WWW-Authenticate is missing');
  const match = CHALLENGE.exec(value as string);
  assert.ok(match, `malformed WWW-Authenticate: ${JSON.stringify(value)}`);
  return { error: match[1], description: match[2], scope: match[3] };
}

export interface TestHttpServer {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 and a free port. */
export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse, url: string) => void): Promise<TestHttpServer> {
  const requests: TestHttpServer['requests'] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    handler(req, res, base);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `verifier` as it is, counting its verify() calls (verifyNow, ready and close pass through). */
export function countingVerifier(verifier: Verifier): Verifier & { readonly verifyCalls: number } {
  let calls = 0;
  return {
    verify: ((request: never, requirements: never) => {
      calls++;
      return verifier.verify(request, requirements);
    }) as Verifier['verify'],
    verifyNow: verifier.verifyNow,
    ready: () => verifier.ready(),
    close: () => verifier.close(),
    get verifyCalls() {
      return calls;
    },
  };
}
