import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ValidationError } from './errors.js';

/**
 * User passwords. Unlike client secrets (256 random bits, a keyed digest is enough),
 * people choose passwords that can be guessed, so a stolen database must make every
 * guess expensive: scrypt (RFC 7914), memory-hard, from node:crypto.
 *
 * A stored hash is self-describing, `scrypt$v1$N=32768,r=8,p=1$<salt>$<key>` (salt and
 * key in base64url), so the parameters can be raised later: old hashes still verify
 * with the parameters they carry, and `passwordHashNeedsUpgrade` tells which to redo at
 * the next successful login.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/**
 * The parameters of new hashes: N=2^15, r=8, p=1, i.e. 32 MiB and a few tens of
 * milliseconds per hash. (OWASP's cheat sheet asks for N=2^17 today; the hash format
 * lets a later release raise N without breaking stored hashes.)
 */
export const PASSWORD_HASH_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

const SCHEME = 'scrypt';
const VERSION = 'v1';
const SALT_BYTES = 16;
const KEY_BYTES = 64;

/** Policy for passwords an operator sets (counted in Unicode code points). */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

// Bounds on parameters read back from a stored hash: a corrupt or tampered row must not
// make the server allocate gigabytes or compute for minutes.
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_P = 16;
const MAX_R = 32;

export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

/**
 * Throws ValidationError unless `password` is acceptable to store: not empty, at least
 * MIN_PASSWORD_LENGTH characters, at most MAX_PASSWORD_LENGTH. The message never repeats
 * the password.
 */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length === 0) throw new ValidationError('the password is empty', { field: 'password' });
  if (length < MIN_PASSWORD_LENGTH) throw new ValidationError(`the password is too short: use at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  if (length > MAX_PASSWORD_LENGTH) throw new ValidationError(`the password is too long: use at most ${MAX_PASSWORD_LENGTH} characters`, { field: 'password' });
}

/** Hashes a password with a fresh 16-byte random salt. Asynchronous: the event loop is not blocked. */
export async function hashPassword(password: string, params: ScryptParams = PASSWORD_HASH_PARAMS): Promise<string> {
  if (!isSupported(params)) throw new RangeError(`unsupported scrypt parameters N=${params.N}, r=${params.r}, p=${params.p}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return formatPasswordHash({ params, salt, key });
}

/**
 * Checks `password` against a stored hash, with the parameters the hash carries, in
 * constant time. False for a wrong password and for a stored value that is not a hash
 * this code can read (never throws for bad input).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made with other parameters than new hashes get (rehash it at the next login). */
export function passwordHashNeedsUpgrade(stored: string): boolean {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N !== PASSWORD_HASH_PARAMS.N || r !== PASSWORD_HASH_PARAMS.r || p !== PASSWORD_HASH_PARAMS.p || parsed.salt.length !== SALT_BYTES || parsed.key.length !== KEY_BYTES;
}

const HASH_FORMAT = /^scrypt\$v1\$N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9_-]{11,88})\$([A-Za-z0-9_-]{22,171})$/;

/** Reads a stored hash; undefined when it is not one (or its parameters are out of bounds). */
export function parsePasswordHash(stored: string): ParsedPasswordHash | undefined {
  const match = HASH_FORMAT.exec(stored);
  if (!match) return undefined;
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4]!, 'base64url');
  const key = Buffer.from(match[5]!, 'base64url');
  // Canonical encodings only: a re-encoding must give back exactly the stored text.
  if (salt.toString('base64url') !== match[4] || key.toString('base64url') !== match[5]) return undefined;
  if (!isSupported(params) || salt.length < 8 || salt.length > 64 || key.length < 16 || key.length > 128) return undefined;
  return { params, salt, key };
}

export function formatPasswordHash({ params, salt, key }: ParsedPasswordHash): string {
  return `${SCHEME}$${VERSION}$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * A well-formed hash, with the current parameters, that no password matches in practice
 * (an all-zero key). Checking a password against it costs what checking a real one
 * costs: used when the username is unknown, so the answer's timing does not tell.
 */
export const DUMMY_PASSWORD_HASH = formatPasswordHash({ params: { ...PASSWORD_HASH_PARAMS }, salt: Buffer.alloc(SALT_BYTES), key: Buffer.alloc(KEY_BYTES) });

function isSupported({ N, r, p }: ScryptParams): boolean {
  const integers = Number.isSafeInteger(N) && Number.isSafeInteger(r) && Number.isSafeInteger(p);
  return integers && N > 1 && (N & (N - 1)) === 0 && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P && 128 * N * r <= MAX_MEMORY_BYTES;
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  // NFC, so that the same password typed on two systems (composed or decomposed
  // accents) is the same bytes (RFC 8265 §4.2, OpaqueString).
  const bytes = Buffer.from(password.normalize('NFC'), 'utf8');
  // scrypt needs about 128·N·r bytes (plus 128·r·p); node's default cap is 32 MiB, which
  // N=2^15, r=8 exactly reaches, so the cap is set from the parameters.
  const maxmem = 2 * 128 * params.N * params.r + 128 * params.r * params.p;
  return new Promise((resolve, reject) => {
    scrypt(bytes, salt, length, { N: params.N, r: params.r, p: params.p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
