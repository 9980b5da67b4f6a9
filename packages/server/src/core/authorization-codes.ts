import { deriveKey, digestSecret, randomToken } from './secrets.js';

/**
 * Authorization codes (RFC 6749 §4.1.2): 256 random bits with a recognisable prefix (for
 * secret scanners), stored only as a keyed digest, so a database leak reveals no usable
 * code. The token endpoint digests a presented code with the same key to find it.
 */
export const AUTHORIZATION_CODE_PREFIX = 'gatehouse_ac_';

export function generateAuthorizationCode(): string {
  return AUTHORIZATION_CODE_PREFIX + randomToken(32);
}

/** The key of code digests, derived from the master key (HKDF, purpose-bound). */
export function codeDigestKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'authorization-code digest');
}

/** The digest stored for a code (HMAC-SHA-256 under codeDigestKey). */
export function digestCode(code: string, digestKey: Buffer): string {
  return digestSecret(code, digestKey);
}
