// A token-sized answer for the floor (a module without side effects): the ES256 access token
// response Gatehouse's token endpoint sends for the bench's client_credentials request, with
// claims of the same shapes and lengths (RFC 9068 at+jwt).
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k0123456789abcdefghijklmnopqrstuvwxyzABCDE' })).toString('base64url');

/** The signing input of a token-sized JWT: `<header>.<payload>`, base64url. */
export function signingInput(issuer: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer,
    sub: 'c_0123456789abcdefghijkl',
    aud: `${issuer}/api`,
    client_id: 'c_0123456789abcdefghijkl',
    scope: 'documents:read',
    tenant: 'acme',
    jti: randomBytes(16).toString('base64url'),
    iat,
    exp: iat + 3600,
    client_epoch: 0,
  };
  return `${JWT_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}

/** One ES256 signature as Gatehouse computes it (node:crypto one-shot sign, raw r‖s: RFC 7518 §3.4). */
export function signEs256(input: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

export function newEs256Key(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/** The whole JSON answer (RFC 6749 §5.1), signed once. */
export function tokenResponseBody(issuer: string): string {
  const input = signingInput(issuer);
  return JSON.stringify({ access_token: `${input}.${signEs256(input, newEs256Key())}`, token_type: 'Bearer', expires_in: 3600, scope: 'documents:read' });
}
