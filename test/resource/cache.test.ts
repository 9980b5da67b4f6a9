import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerError, createVerifier, type RevocationChanges, type Verifier } from '../../packages/resource/src/index.js';
import { AUDIENCE, generateTestKey, ISSUER, nowSeconds, signToken, staticKeySource } from './helpers.js';
import { eventually, sleep } from '../helpers/timing.js';

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
        if (!rejected) await sleep(10);
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

describe('verifyNow: a token verified before, answered without a promise', () => {
  it('answers undefined on first sight, then the same claims as verify; public routes get null', async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const token = await signToken(key, { scope: 'documents:read' });
    assert.equal(verifier.verifyNow!(request(token)), undefined, 'never verified: verify() must do it');
    const verified = await verifier.verify(request(token));
    const now = verifier.verifyNow!(request(token));
    assert.deepEqual(now, verified);
    assert.notEqual(now, verified, 'its own copy of the claims');
    assert.equal(verifier.verifyNow!(request(token), { public: true }), null);
  });

  it('checks scope, tenant, expiry and the key on every answer, as verify does', async () => {
    const key = await generateTestKey();
    const published = [key];
    let now = Date.now();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource(published), clock: () => now, clockTolerance: 0 });
    const token = await signToken(key, { scope: 'documents:read', exp: nowSeconds() + 60 });
    await verifier.verify(request(token));
    const fails = (requirements: object, pattern: RegExp, status: number) =>
      assert.throws(
        () => verifier.verifyNow!(request(token), requirements),
        (error: unknown) => error instanceof BearerError && error.status === status && pattern.test(error.description),
      );
    fails({ scopes: ['documents:write'] }, /lacks the scope documents:write/, 403);
    assert.throws(() => verifier.verifyNow!({ headers: { authorization: `Bearer ${token}`, 'x-tenant': 'beta' }, url: '/' }), (error: unknown) => error instanceof BearerError && error.status === 403);
    // The key leaves the JWKS: no answer at once (it may be published again), and verify() refuses the token.
    published.length = 0;
    assert.equal(verifier.verifyNow!(request(token)), undefined);
    await assert.rejects(verifier.verify(request(token)), (error: unknown) => error instanceof BearerError && /unknown key/.test(error.description));
    published.push(key);
    assert.equal(verifier.verifyNow!(request(token)), undefined, 'the failed key check dropped the token from the cache');
    await verifier.verify(request(token));
    now += 61_000;
    fails({}, /expired/, 401);
  });

  it('refuses a cached token once the feed revokes it, and waits (undefined) until the feed has been read once', async () => {
    const key = await generateTestKey();
    let changes: RevocationChanges = { revision: 0, clients: [], tokens: [], withdrawn_keys: [] };
    let answerFeed!: () => void;
    const feedAnswered = new Promise<void>((resolve) => (answerFeed = resolve));
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: staticKeySource([key]),
      revocations: { fetchChanges: async (since) => (await feedAnswered, since < changes.revision ? changes : { ...changes, clients: [], tokens: [], withdrawn_keys: [] }) },
      pollInterval: 20,
    });
    try {
      const token = await signToken(key, { client_id: 'client-9', client_epoch: 0 });
      const first = verifier.verify(request(token));
      answerFeed();
      await first;
      await verifier.ready();
      assert.equal(verifier.verifyNow!(request(token))?.client_id, 'client-9');
      changes = { revision: 1, clients: [{ client_id: 'client-9', epoch: 1 }], tokens: [], withdrawn_keys: [] };
      const deadline = Date.now() + 2000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        try {
          verifier.verifyNow!(request(token));
          await sleep(10);
        } catch (error) {
          refused = error instanceof BearerError && /revoked/.test(error.description);
        }
      }
      assert.ok(refused, 'the cached token is refused without a promise after the epoch rose');
    } finally {
      await verifier.close();
    }
  });

  it('answers undefined when the key source cannot answer at once, or before the feed was read', async () => {
    const key = await generateTestKey();
    const token = await signToken(key);
    const asyncOnly = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key], { sync: false }) });
    await asyncOnly.verify(request(token));
    assert.equal(asyncOnly.verifyNow!(request(token)), undefined);
    const throwing = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: {
        ...staticKeySource([key]),
        cachedKey: () => {
          throw new Error('broken key source');
        },
      },
    });
    await throwing.verify(request(token));
    assert.equal(throwing.verifyNow!(request(token)), undefined, 'a throwing cachedKey: verify() decides');
    const unread = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: { fetchChanges: () => new Promise(() => {}) } });
    try {
      assert.equal(unread.verifyNow!(request(token)), undefined);
    } finally {
      await unread.close();
    }
  });
});

describe('verify and verifyNow answer a cached token through one lookup', () => {
  type Way = (verifier: Verifier, token: string) => Promise<unknown>;
  const ways: Record<string, Way> = {
    verify: (verifier, token) => verifier.verify(request(token)),
    verifyNow: async (verifier, token) => {
      const claims = verifier.verifyNow!(request(token));
      assert.notEqual(claims, undefined, 'verifyNow answered at once');
      return claims;
    },
  };

  /**
   * A verifier with a token in its cache, a clock and a revocation feed the test drives.
   * The token's key is then replaced by an impostor with the same kid: a full verification
   * would fail on the signature, so any other answer came from the cached-token lookup.
   */
  async function withCachedToken(run: (scene: { verifier: Verifier; token: string; advance: (ms: number) => void; revoke: () => Promise<void>; takeFeedDown: () => Promise<void> }) => Promise<void>) {
    const key = await generateTestKey();
    const impostor = await generateTestKey('ES256', key.kid);
    const published = [key];
    let now = Date.now();
    const empty: RevocationChanges = { revision: 0, clients: [], tokens: [], withdrawn_keys: [] };
    let changes = empty;
    let fetches = 0;
    let feedDown = false;
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: staticKeySource(published),
      clock: () => now,
      clockTolerance: 0,
      revocations: {
        fetchChanges: async (since) => {
          fetches++;
          if (feedDown) throw new Error('the feed is down');
          return since < changes.revision ? changes : { ...empty, revision: changes.revision };
        },
      },
      pollInterval: 5,
      maxStaleness: 10_000,
      onError: () => {},
    });
    // Two more polls than now: the one in flight may have started before the change.
    const twoPolls = async () => {
      const seen = fetches;
      await eventually('two polls of the feed', () => fetches >= seen + 2);
    };
    try {
      await verifier.ready();
      const token = await signToken(key, { client_id: 'client-9', client_epoch: 0, exp: nowSeconds() + 60 });
      await verifier.verify(request(token));
      published[0] = impostor;
      await run({
        verifier,
        token,
        advance: (ms) => void (now += ms),
        revoke: async () => {
          changes = { revision: 1, clients: [{ client_id: 'client-9', epoch: 1 }], tokens: [], withdrawn_keys: [] };
          await twoPolls();
        },
        takeFeedDown: async () => {
          feedDown = true;
          await twoPolls();
        },
      });
    } finally {
      await verifier.close();
    }
  }

  const refusal = (status: number, pattern: RegExp) => (error: unknown) => error instanceof BearerError && error.status === status && pattern.test(error.description);

  for (const [name, way] of Object.entries(ways)) {
    it(`${name}: answers a cached token without checking its signature again`, async () => {
      await withCachedToken(async ({ verifier, token }) => {
        const claims = (await way(verifier, token)) as { client_id: string };
        assert.equal(claims.client_id, 'client-9');
      });
    });

    it(`${name}: refuses a token revoked after it was cached`, async () => {
      await withCachedToken(async ({ verifier, token, revoke }) => {
        await revoke();
        await assert.rejects(way(verifier, token), refusal(401, /has been revoked/));
        // Still cached (a revoked token stays revoked): the same answer again, from the cache.
        await assert.rejects(way(verifier, token), refusal(401, /has been revoked/));
      });
    });

    it(`${name}: refuses an expired cached token and drops it from the cache`, async () => {
      await withCachedToken(async ({ verifier, token, advance }) => {
        advance(61_000);
        await assert.rejects(way(verifier, token), refusal(401, /has expired/));
        assert.equal(verifier.verifyNow!(request(token)), undefined, 'no longer cached');
        await assert.rejects(verifier.verify(request(token)), refusal(401, /signature is invalid/), 'verified in full again');
      });
    });

    it(`${name}: refuses a cached token once the revocation state is stale (503)`, async () => {
      await withCachedToken(async ({ verifier, token, advance, takeFeedDown }) => {
        await takeFeedDown();
        advance(10_001);
        await assert.rejects(way(verifier, token), (error: unknown) => refusal(503, /out of date/)(error) && (error as BearerError).retryAfter === 5);
      });
    });
  }
});
