import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226): HMAC-SHA-1, 30-second
 * steps, 6 digits — what every authenticator app implements. Written here with
 * node:crypto rather than taken from a library: it is twenty lines, checked against the
 * RFC's own test vectors (test/core/totp.test.ts), and needs no dependency.
 */

/** RFC 6238 §4.1: X, the time step, in seconds (30 is the recommended default, §5.2). */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** RFC 4226 §4 R6 recommends at least 128 bits of shared secret, 160 bits: 20 bytes. */
const SECRET_BYTES = 20;

/** RFC 6238 §4.2: T = floor((unix time - T0) / X), T0 = 0. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

/**
 * HOTP(K, C) (RFC 4226 §5.3): HMAC-SHA-1 of the 8-byte big-endian counter, dynamic
 * truncation (the low 4 bits of the last byte pick 4 bytes, top bit cleared), modulo 10^digits.
 */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code for the time `nowMs` (RFC 6238 §4.2). */
export function totpCode(secret: Buffer, nowMs: number, digits = TOTP_DIGITS): string {
  return hotp(secret, totpStep(nowMs), digits);
}

/**
 * The time step whose code `code` is, among the current step and one step either side
 * (RFC 6238 §5.2 recommends allowing one step of network delay or clock drift), or
 * undefined. Every candidate is compared, in constant time. The caller refuses a step
 * at or before the last one used (RFC 6238 §5.2: a code is accepted once).
 */
export function matchTotpStep(secret: Buffer, code: string, nowMs: number): number | undefined {
  const presented = Buffer.from(code.replace(/\s+/g, ''), 'utf8');
  const current = totpStep(nowMs);
  let matched: number | undefined;
  for (const step of [current - 1, current, current + 1]) {
    const expected = Buffer.from(hotp(secret, step), 'utf8');
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) matched ??= step;
  }
  return matched;
}

/** A fresh 160-bit secret. */
export function generateTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding (the form authenticator apps take). */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (any letter case, spaces and padding ignored); undefined when it is not base32. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index === -1) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * The `otpauth://totp/` URI authenticator apps read (the Key Uri Format of Google
 * Authenticator, which the others follow): label `issuer:account`, the base32 secret,
 * and the parameters spelled out.
 */
export function otpauthUri(secret: Buffer, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({ secret: base32Encode(secret), issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_STEP_SECONDS) });
  return `otpauth://totp/${label}?${params.toString()}`;
}
