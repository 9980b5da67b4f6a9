import { deriveKey, digestSecret, randomToken } from './secrets.js';

/**
 * Refresh tokens (RFC 6749 §6): 256 random bits with a recognisable prefix (for secret
 * scanners), stored only as a keyed digest (HMAC-SHA-256 under a key derived from the
 * master key), so a database leak reveals no usable token. They are never chosen by a
 * person: no slow hash is needed (docs/architecture.md, "Decisions").
 */
export const REFRESH_TOKEN_PREFIX = 'gatehouse_rt_';

export function generateRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomToken(32);
}

/** The key of refresh token digests, derived from the master key (HKDF, purpose-bound). */
export function refreshTokenDigestKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'refresh-token digest');
}

/** The digest stored for a refresh token (HMAC-SHA-256 under refreshTokenDigestKey). */
export function digestRefreshToken(token: string, digestKey: Buffer): string {
  return digestSecret(token, digestKey);
}
