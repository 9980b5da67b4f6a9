import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are 256-bit random strings with a recognisable prefix, so secret
 * scanners (and people) can tell a leaked Gatehouse secret at a glance.
 */
export const CLIENT_SECRET_PREFIX = 'gatehouse_secret_';

/**
 * Small random values are cut from a block filled by one CSPRNG call (as node's own
 * randomUUID does): every token request needs a `jti`, and a call into the CSPRNG per
 * 16 bytes cost 3 % of a request. Each byte is handed out once.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** URL-safe random string carrying `bytes` bytes of entropy. */
export function randomToken(bytes: number): string {
  if (bytes > 64) return randomBytes(bytes).toString('base64url');
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}

export function generateClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomToken(32);
}

/** Derives a purpose-bound 256-bit key from the master key (HKDF-SHA-256). */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `gatehouse ${purpose} v1`, 32));
}

/**
 * Keyed digest of a high-entropy secret (HMAC-SHA-256). Secrets that were never chosen
 * by a person need no slow hash: a keyed digest cannot be brute-forced offline without
 * the key, and it costs microseconds on every token request (docs/architecture.md, "Decisions").
 */
export function digestSecret(secret: string, digestKey: Buffer): string {
  return createHmac('sha256', digestKey).update(secret, 'utf8').digest('base64url');
}

/**
 * Constant-time check of `secret` against each stored digest. Every candidate is
 * compared, so the time taken does not reveal which one matched, or whether any did.
 */
export function secretMatches(secret: string, digests: readonly (string | null | undefined)[], digestKey: Buffer): boolean {
  const presented = createHmac('sha256', digestKey).update(secret, 'utf8').digest();
  let matched = false;
  for (const digest of digests) {
    const stored = Buffer.from(digest ?? '', 'base64url');
    const comparable = stored.length === presented.length ? stored : Buffer.alloc(presented.length);
    const equal = timingSafeEqual(presented, comparable);
    if (equal && stored.length === presented.length) matched = true;
  }
  return matched;
}

/**
 * Authenticated encryption (AES-256-GCM) of key material at rest. `context` is bound as
 * additional data, so a ciphertext cannot be moved to another record.
 */
export function sealSecret(plaintext: string, encryptionKey: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function openSecret(sealed: string, encryptionKey: Buffer, context: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('unrecognised sealed secret format');
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
