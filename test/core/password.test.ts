/**
 * User password hashing (src/core/password.ts): scrypt, self-describing hashes,
 * constant-time verification, and the password policy.
 */
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ValidationError } from '../../packages/server/src/core/errors.js';
import {
  DUMMY_PASSWORD_HASH,
  PASSWORD_HASH_PARAMS,
  checkPasswordPolicy,
  hashPassword,
  parsePasswordHash,
  passwordHashNeedsUpgrade,
  verifyPassword,
} from '../../packages/server/src/core/password.js';

const PASSWORD = 'correct horse battery staple';
const FORMAT = /^scrypt\$v1\$N=32768,r=8,p=1\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{86})$/;

/** Replaces one base64url character of `text` at `index` by another. */
function flip(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The first 42 characters of a base64url key, with the last one's 4 bits beyond the
 * 31st byte set: a lenient decoder reads exactly the key's first 31 bytes (a shorter key
 * that verifies), so only the canonical-encoding check can refuse it. (Cutting at 42
 * characters alone leaves those 4 bits as the random key had them: all zero one time
 * in 16, i.e. a canonical 31-byte key.)
 */
function cutMidByte(key: string): string {
  const last = BASE64URL.indexOf(key[41]!);
  const cut = key.slice(0, 41) + BASE64URL[(last & 0b110000) | 0b0101]!;
  assert.deepEqual(Buffer.from(cut, 'base64url'), Buffer.from(key, 'base64url').subarray(0, 31), 'decodes to the first 31 bytes of the key');
  assert.notEqual(Buffer.from(cut, 'base64url').toString('base64url'), cut, 'not a canonical encoding');
  return cut;
}

describe('hashPassword', () => {
  it('makes a self-describing scrypt hash: N=2^15, r=8, p=1, a 16-byte salt and a 64-byte key, base64url', async () => {
    assert.deepEqual({ ...PASSWORD_HASH_PARAMS }, { N: 32768, r: 8, p: 1 });
    const hash = await hashPassword(PASSWORD);
    const match = FORMAT.exec(hash);
    assert.ok(match, `unexpected format: ${hash}`);
    assert.equal(Buffer.from(match[1]!, 'base64url').length, 16);
    assert.equal(Buffer.from(match[2]!, 'base64url').length, 64);
    assert.ok(!hash.includes(PASSWORD) && !hash.includes(Buffer.from(PASSWORD).toString('base64url')), 'the password is not in the hash');
    const parsed = parsePasswordHash(hash);
    assert.deepEqual(parsed?.params, { N: 32768, r: 8, p: 1 });
    assert.equal(passwordHashNeedsUpgrade(hash), false);
  });

  it('salts every hash anew: the same password never gives the same hash twice', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    assert.notEqual(a, b);
    assert.notEqual(FORMAT.exec(a)![1], FORMAT.exec(b)![1], 'different salts');
  });

  it('is asynchronous: the event loop keeps running while it hashes', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 2);
    try {
      await hashPassword(PASSWORD);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 1, 'timers fired during the hash');
  });

  it('refuses parameters it could not verify later', async () => {
    await assert.rejects(hashPassword(PASSWORD, { N: 1000, r: 8, p: 1 }), RangeError);
    await assert.rejects(hashPassword(PASSWORD, { N: 2 ** 24, r: 8, p: 1 }), RangeError);
  });
});

describe('verifyPassword', () => {
  it('accepts the password and refuses any other, including a different letter case, a prefix and the empty string', async () => {
    const hash = await hashPassword(PASSWORD);
    assert.equal(await verifyPassword(PASSWORD, hash), true);
    for (const wrong of ['Correct horse battery staple', 'correct horse battery stapl', `${PASSWORD} `, '', 'x']) {
      assert.equal(await verifyPassword(wrong, hash), false, JSON.stringify(wrong));
    }
  });

  it('treats the composed and decomposed forms of an accented password as the same (NFC)', async () => {
    const composed = 'Passwörter-sind-schön';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    const hash = await hashPassword(composed);
    assert.equal(await verifyPassword(decomposed, hash), true);
  });

  it('refuses a tampered hash: any changed character of the salt or key, or other parameters', async () => {
    const hash = await hashPassword(PASSWORD);
    const [, salt, key] = FORMAT.exec(hash)!;
    const saltStart = hash.indexOf(salt!);
    const keyStart = hash.lastIndexOf(key!);
    assert.equal(await verifyPassword(PASSWORD, flip(hash, saltStart)), false, 'salt changed');
    assert.equal(await verifyPassword(PASSWORD, flip(hash, keyStart + 10)), false, 'key changed');
    assert.equal(await verifyPassword(PASSWORD, flip(hash, keyStart + 84)), false, 'last full key character changed');
    assert.equal(await verifyPassword(PASSWORD, hash.replace('N=32768', 'N=16384')), false, 'N changed');
    assert.equal(await verifyPassword(PASSWORD, hash.replace('r=8', 'r=4')), false, 'r changed');
    // A shorter key is a legitimate format (the length is read from the string, see below),
    // but a key cut off mid-byte is not a canonical encoding and is refused.
    const shorter = Buffer.from(key!, 'base64url').subarray(0, 31).toString('base64url');
    assert.equal(await verifyPassword(PASSWORD, hash.replace(`$${key}`, () => `$${shorter}`)), true, 'the same 31 bytes, canonically encoded: a shorter key');
    assert.equal(await verifyPassword(PASSWORD, hash.replace(`$${key}`, () => `$${cutMidByte(key!)}`)), false, 'key cut off mid-byte');
  });

  it('answers false, without throwing, for stored values that are not hashes it can read', async () => {
    const hash = await hashPassword(PASSWORD);
    const unreadable = [
      '',
      'plaintext-password',
      PASSWORD,
      hash.replace('scrypt$', 'bcrypt$'),
      hash.replace('$v1$', '$v2$'),
      hash.replace('N=32768', 'N=1000'), // not a power of two
      hash.replace('N=32768', 'N=16777216'), // 2^24 · 128 · 8 = 16 GiB: refused before any work
      hash.replace('p=1', 'p=0'),
      hash.replace('r=8', 'r=1000'),
      `${hash}$extra`,
      hash.replace(/\$([A-Za-z0-9_-]{86})$/, '$$$1=='), // padded, not base64url
      '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
    ];
    for (const stored of unreadable) {
      const started = Date.now();
      assert.equal(await verifyPassword(PASSWORD, stored), false, stored);
      assert.ok(Date.now() - started < 2_000, `${stored} was refused quickly`);
    }
  });

  it('reads the parameters from the hash: hashes made with other parameters still verify', async () => {
    const light = await hashPassword(PASSWORD, { N: 1024, r: 4, p: 2 });
    assert.match(light, /^scrypt\$v1\$N=1024,r=4,p=2\$/);
    assert.deepEqual(parsePasswordHash(light)?.params, { N: 1024, r: 4, p: 2 });
    assert.equal(await verifyPassword(PASSWORD, light), true);
    assert.equal(await verifyPassword('wrong password', light), false);
    assert.equal(passwordHashNeedsUpgrade(light), true, 'a hash with old parameters should be redone at the next login');

    // Built by hand with node's scrypt (RFC 7914), not by hashPassword: the format is the contract.
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync(PASSWORD, salt, 32, { N: 16, r: 1, p: 1 });
    const handMade = `scrypt$v1$N=16,r=1,p=1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    assert.equal(await verifyPassword(PASSWORD, handMade), true, 'a 32-byte key and N=16 read from the string');
    assert.equal(await verifyPassword('Correct horse battery staple', handMade), false);
  });

  it('the dummy hash (checked for unknown users) has the current parameters and matches no password', async () => {
    assert.deepEqual(parsePasswordHash(DUMMY_PASSWORD_HASH)?.params, { ...PASSWORD_HASH_PARAMS });
    assert.equal(passwordHashNeedsUpgrade(DUMMY_PASSWORD_HASH), false);
    assert.equal(await verifyPassword('', DUMMY_PASSWORD_HASH), false);
    assert.equal(await verifyPassword(PASSWORD, DUMMY_PASSWORD_HASH), false);
  });
});

describe('checkPasswordPolicy', () => {
  const refuses = (password: string, message: RegExp) =>
    assert.throws(
      () => checkPasswordPolicy(password),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, message);
        if (password.length >= 3) assert.ok(!error.message.includes(password), 'the message never repeats the password');
        return true;
      },
    );

  it('refuses an empty password, and one shorter than 10 characters', () => {
    refuses('', /empty/);
    refuses('123456789', /too short.*at least 10 characters/);
    refuses('🔑🔑🔑🔑🔑', /too short/); // 10 UTF-16 code units, but 5 characters
  });

  it('accepts 10 characters and more, counted as characters', () => {
    checkPasswordPolicy('1234567890');
    checkPasswordPolicy('🔑'.repeat(10));
    checkPasswordPolicy('x'.repeat(1024));
  });

  it('refuses more than 1024 characters', () => {
    refuses('x'.repeat(1025), /too long/);
  });
});
