import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerError, createVerifier, type RevocationChanges } from '../../src/resource/index.js';
import { AUDIENCE, generateTestKey, ISSUER, nowSeconds, signToken, staticKeySource } from './helpers.js';

const request = (token: string) => ({ headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, url: '/api/files' });

describe('the verified-token cache', () => {
  it('checks the signature once per token, and expiry and the key on every request', async () => {
    const key = await generateTestKey();
    const impostor = await generateTestKey('ES256', key.kid);
    const published = [key];
    const keys = staticKeySource(published);
    let now = Date.now();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, clock: () => now, clockTolerance: 0 });
    const token = await signToken(key, { exp: nowSeconds() + 60 });
    await verifier.verify(request(token));
    // Same kid, another key: a full verification would now fail; the cached result stands.
    published[0] = impostor;
    await verifier.verify(request(token));
    // The key leaves the issuer's JWKS (withdrawn): the cached token goes with it.
    published.length = 0;
    await assert.rejects(verifier.verify(request(token)), (error: unknown) => error instanceof BearerError && /unknown key/.test(error.description));
    published.push(key);
    now += 61_000;
    await assert.rejects(verifier.verify(request(token)), (error: unknown) => error instanceof BearerError && error.status === 401 && /expired/.test(error.description));
  });

  it('still rejects a cached token once the feed revokes it', async () => {
    const key = await generateTestKey();
    let changes: RevocationChanges = { revision: 0, clients: [], tokens: [], withdrawn_keys: [] };
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: staticKeySource([key]),
      revocations: { fetchChanges: async (since) => (since < changes.revision ? changes : { ...changes, clients: [], tokens: [], withdrawn_keys: [] }) },
      pollInterval: 20,
    });
    try {
      await verifier.ready();
      const token = await signToken(key, { client_id: 'client-9', client_epoch: 0 });
      await verifier.verify(request(token));
      changes = { revision: 1, clients: [{ client_id: 'client-9', epoch: 1 }], tokens: [], withdrawn_keys: [] };
      const deadline = Date.now() + 2000;
      let rejected = false;
      while (!rejected && Date.now() < deadline) {
        rejected = await verifier.verify(request(token)).then(
          () => false,
          (error: unknown) => error instanceof BearerError && /revoked/.test(error.description),
        );
        if (!rejected) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(rejected, 'the cached token is refused after the epoch rose');
    } finally {
      await verifier.close();
    }
  });

  it('hands every caller its own copy of the claims', async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const token = await signToken(key, { scope: 'documents:read' });
    const first = await verifier.verify(request(token));
    (first as { tenant?: string }).tenant = 'beta';
    (first as { scope?: string }).scope = 'admin';
    const second = await verifier.verify(request(token));
    assert.equal(second.tenant, 'acme');
    assert.equal(second.scope, 'documents:read');
  });

  it('can be turned off', async () => {
    const key = await generateTestKey();
    const keys = staticKeySource([key]);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, cacheSize: 0 });
    const token = await signToken(key);
    await verifier.verify(request(token));
    await verifier.verify(request(token));
    assert.equal(keys.lookups.length, 2);
  });

  it('never caches a token that failed verification', async () => {
    const key = await generateTestKey();
    const other = await generateTestKey('ES256', key.kid);
    const keys = staticKeySource([key]);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys });
    const forged = await signToken(other);
    for (let i = 0; i < 2; i++) await assert.rejects(verifier.verify(request(forged)), BearerError);
    assert.equal(keys.lookups.length, 2, 'each attempt was verified in full');
  });
});
