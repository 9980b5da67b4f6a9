/**
 * Generated signing keys (core/keys.ts): the kid is the key's RFC 7638 thumbprint, and never
 * starts with "-", which a command line reads as an option (`gatehouse keys withdraw <kid>`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { generateSigningKey } from '../../packages/server/src/core/keys.js';

describe('generateSigningKey', () => {
  it('names the key by its RFC 7638 thumbprint, and never with a leading "-" (400 keys: without the rule, about 6 of them would)', async () => {
    const key = randomBytes(32);
    for (let i = 0; i < 400; i++) {
      const generated = await generateSigningKey('ES256', key, 0);
      assert.ok(!generated.kid.startsWith('-'), generated.kid);
      if (i === 0) {
        const { kid: _kid, alg: _alg, use: _use, ...members } = generated.publicJwk;
        assert.equal(generated.kid, await calculateJwkThumbprint(members, 'sha256'));
      }
    }
  });
});
