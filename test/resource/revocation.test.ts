import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BearerError, createVerifier, RevocationFeedError, RevocationFollower, remoteRevocationSource, type RevocationChanges, type RevocationSource } from '../../packages/resource/src/index.js';
import { AUDIENCE, ISSUER, generateTestKey, nowSeconds, sendJson, signToken, startHttpServer, staticKeySource, type TestHttpServer, type TestKey } from './helpers.js';
import { eventually, sleep } from '../helpers/timing.js';

/**
 * A feed the test writes to: every change gets the next revision, and `fetchChanges(since)`
 * answers the changes after `since`, like GET /oauth/revocations.
 */
class FakeFeed implements RevocationSource {
  revision = 0;
  failing = false;
  readonly calls: number[] = [];
  readonly #log: { revision: number; change: Partial<Omit<RevocationChanges, 'revision'>> }[] = [];

  add(change: Partial<Omit<RevocationChanges, 'revision'>>): void {
    this.#log.push({ revision: ++this.revision, change });
  }

  async fetchChanges(since: number): Promise<RevocationChanges> {
    this.calls.push(since);
    if (this.failing) throw new Error('feed down');
    const answer: RevocationChanges = { revision: this.revision, clients: [], tokens: [], withdrawn_keys: [] };
    for (const { revision, change } of this.#log) {
      if (revision <= since) continue;
      answer.clients.push(...(change.clients ?? []));
      answer.tokens.push(...(change.tokens ?? []));
      answer.withdrawn_keys.push(...(change.withdrawn_keys ?? []));
      // Left out unless a change carries grants, as servers before the code flow do.
      if (change.grants) (answer.grants ??= []).push(...change.grants);
    }
    return answer;
  }
}

const claims = (overrides: Partial<{ client_id: string; client_epoch: number; jti: string }> = {}) => ({ client_id: 'c1', client_epoch: 0, jti: 'j1', ...overrides });

describe('RevocationFollower against a fake feed', () => {
  it('revokes the tokens of a client whose epoch was raised, and only the older ones', async () => {
    const feed = new FakeFeed();
    const follower = new RevocationFollower({ source: feed });
    await follower.poll();
    assert.equal(follower.isRevoked(claims(), 'k1'), false);
    feed.add({ clients: [{ client_id: 'c1', epoch: 1 }] });
    await follower.poll();
    assert.equal(follower.isRevoked(claims({ client_epoch: 0 }), 'k1'), true);
    assert.equal(follower.isRevoked(claims({ client_epoch: 1 }), 'k1'), false, 'a token minted after the rotation');
    assert.equal(follower.isRevoked(claims({ client_id: 'c2' }), 'k1'), false, 'other clients are untouched');
    // An older epoch arriving late never lowers the bar.
    feed.add({ clients: [{ client_id: 'c1', epoch: 0 }] });
    await follower.poll();
    assert.equal(follower.isRevoked(claims({ client_epoch: 0 }), 'k1'), true);
  });

  it('revokes a jti until its exp (plus five minutes), then forgets it', async () => {
    let now = Date.now();
    const feed = new FakeFeed();
    const follower = new RevocationFollower({ source: feed, clock: () => now });
    const exp = Math.floor(now / 1000) + 60;
    feed.add({ tokens: [{ jti: 'j1', client_id: 'c1', exp }] });
    await follower.poll();
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), true);
    assert.equal(follower.isRevoked(claims({ jti: 'j2' }), 'k1'), false);

    now += (60 + 299) * 1000;
    await follower.poll();
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), true, 'kept within the retention');
    now += 2000;
    await follower.poll();
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), false, 'dropped once exp + 300 s passed');
  });

  it('revokes every token signed with a withdrawn key', async () => {
    const feed = new FakeFeed();
    const follower = new RevocationFollower({ source: feed });
    feed.add({ withdrawn_keys: ['compromised'] });
    await follower.poll();
    assert.equal(follower.isRevoked(claims(), 'compromised'), true);
    assert.equal(follower.isRevoked(claims(), 'fine'), false);
  });

  it('revokes every token of a revoked grant (grant_id claim), and only those', async () => {
    const feed = new FakeFeed();
    const follower = new RevocationFollower({ source: feed });
    feed.add({ grants: ['grant-1'] });
    await follower.poll();
    assert.equal(follower.isRevoked({ ...claims(), grant_id: 'grant-1' }, 'k1'), true);
    assert.equal(follower.isRevoked({ ...claims(), grant_id: 'grant-2' }, 'k1'), false, 'another grant');
    assert.equal(follower.isRevoked(claims(), 'k1'), false, 'a token without grant_id (client_credentials)');
    feed.add({ grants: ['grant-2'] });
    await follower.poll();
    assert.equal(follower.isRevoked({ ...claims(), grant_id: 'grant-2' }, 'k1'), true);
    assert.equal(follower.isRevoked({ ...claims(), grant_id: 'grant-1' }, 'k1'), true, 'earlier revocations stay');
  });

  it('accepts answers without grants (servers before the authorization code flow)', async () => {
    const follower = new RevocationFollower({ source: { fetchChanges: async () => ({ revision: 4, clients: [], tokens: [], withdrawn_keys: ['k9'] }) } });
    await follower.poll();
    assert.equal(follower.revision, 4);
    assert.equal(follower.isRevoked({ ...claims(), grant_id: 'grant-1' }, 'k1'), false);
    assert.equal(follower.isRevoked(claims(), 'k9'), true);
  });

  it('treats malformed grants as a failed poll that changes nothing', async () => {
    for (const grants of ['grant-1', [7], [null], {}]) {
      const follower = new RevocationFollower({ source: { fetchChanges: async () => ({ revision: 3, clients: [], tokens: [], withdrawn_keys: [], grants }) as never } });
      await assert.rejects(follower.poll(), RevocationFeedError, JSON.stringify(grants));
      assert.equal(follower.revision, 0);
    }
  });

  it('asks for the changes since the last revision it saw', async () => {
    const feed = new FakeFeed();
    const follower = new RevocationFollower({ source: feed });
    await follower.poll();
    feed.add({ withdrawn_keys: ['a'] });
    feed.add({ withdrawn_keys: ['b'] });
    await follower.poll();
    await follower.poll();
    assert.deepEqual(feed.calls, [0, 0, 2]);
    assert.equal(follower.revision, 2);
  });

  it('keeps its state through failed polls, tells onError, and catches up at the next tick', async () => {
    const feed = new FakeFeed();
    const errors: unknown[] = [];
    const follower = new RevocationFollower({ source: feed, pollInterval: 10, onError: (error) => errors.push(error) });
    feed.add({ tokens: [{ jti: 'j1', client_id: 'c1', exp: nowSeconds() + 3600 }] });
    follower.start();
    await follower.ready;
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), true);

    feed.failing = true;
    await eventually('a failed poll', () => errors.length >= 2);
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), true, 'state kept while the feed is down');

    feed.add({ tokens: [{ jti: 'j2', client_id: 'c1', exp: nowSeconds() + 3600 }] });
    feed.failing = false;
    await eventually('the follower to catch up', () => follower.isRevoked(claims({ jti: 'j2' }), 'k1'));
    assert.equal(follower.isRevoked(claims({ jti: 'j1' }), 'k1'), true);
    follower.stop();
    const calls = feed.calls.length;
    await sleep(50);
    assert.equal(feed.calls.length, calls, 'no poll after stop()');
  });

  it('treats a malformed answer as a failed poll that changes nothing', async () => {
    const errors: unknown[] = [];
    const bad = [
      { revision: -1, clients: [], tokens: [], withdrawn_keys: [] },
      { revision: 3, clients: [{ client_id: 'c1', epoch: 'x' }], tokens: [], withdrawn_keys: [] },
      { revision: 3, clients: [], tokens: [{ jti: 'j' }], withdrawn_keys: [] },
      { revision: 3, clients: [], tokens: [], withdrawn_keys: [7] },
      { revision: 3 },
      null,
    ];
    let index = 0;
    const follower = new RevocationFollower({ source: { fetchChanges: async () => bad[index++] as never }, onError: (error) => errors.push(error) });
    for (let i = 0; i < bad.length; i++) await assert.rejects(follower.poll(), RevocationFeedError);
    assert.equal(follower.revision, 0);
  });

  it('rejects ready when stopped before any successful poll, without an unhandled rejection', async () => {
    const follower = new RevocationFollower({ source: { fetchChanges: async () => Promise.reject(new Error('down')) }, pollInterval: 10 });
    follower.start();
    await follower.firstAttempt();
    follower.stop();
    await assert.rejects(follower.ready, /stopped/);
  });
});

describe('createVerifier with a revocation source', () => {
  let key: TestKey;
  before(async () => {
    key = await generateTestKey('ES256');
  });

  it('refuses a token within a few poll intervals of its revocation', async () => {
    const feed = new FakeFeed();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed, pollInterval: 20 });
    await verifier.ready();
    const token = await signToken(key, { jti: 'revoke-me' });
    const request = { headers: { authorization: `Bearer ${token}` }, url: '/' };
    assert.equal((await verifier.verify(request)).jti, 'revoke-me');

    feed.add({ tokens: [{ jti: 'revoke-me', client_id: 'client-1', exp: nowSeconds() + 3600 }] });
    const elapsed = await eventually('the revocation to arrive', () =>
      verifier.verify(request).then(
        () => false,
        (error: { code?: string; description?: string }) => error.code === 'invalid_token' && error.description === 'the access token has been revoked',
      ),
    );
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    await verifier.close();
  });

  it('checks the feed before the first request is answered', async () => {
    const feed = new FakeFeed();
    feed.add({ clients: [{ client_id: 'client-1', epoch: 1 }] });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed });
    const token = await signToken(key, { client_epoch: 0 });
    // No await verifier.ready(): the verifier itself waits for the first poll.
    await assert.rejects(verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }), { description: 'the access token has been revoked' });
    assert.equal((await verifier.verify({ headers: { authorization: `Bearer ${await signToken(key, { client_epoch: 1 })}` }, url: '/' })).client_epoch, 1);
    await verifier.close();
  });

  it('refuses a token once its grant is revoked, and tokens of other grants stay valid', async () => {
    const feed = new FakeFeed();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed, pollInterval: 20 });
    try {
      await verifier.ready();
      const request = async (grantId: string) => ({ headers: { authorization: `Bearer ${await signToken(key, { grant_id: grantId })}` }, url: '/' });
      const revoked = await request('grant-revoked');
      assert.equal((await verifier.verify(revoked)).grant_id, 'grant-revoked');
      feed.add({ grants: ['grant-revoked'] });
      await eventually('the grant revocation to arrive', () =>
        verifier.verify(revoked).then(
          () => false,
          (error: unknown) => error instanceof BearerError && error.status === 401 && error.description === 'the access token has been revoked',
        ),
      );
      assert.equal((await verifier.verify(await request('grant-other'))).grant_id, 'grant-other');
    } finally {
      await verifier.close();
    }
  });

  it('refuses a token whose grant_id claim is not a non-empty string', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: new FakeFeed() });
    try {
      for (const grantId of [7, '', ['g'], null]) {
        const request = { headers: { authorization: `Bearer ${await signToken(key, { grant_id: grantId })}` }, url: '/' };
        await assert.rejects(verifier.verify(request), { status: 401, description: 'the access token claims are malformed' }, JSON.stringify(grantId));
      }
    } finally {
      await verifier.close();
    }
  });

  it('refuses tokens of a withdrawn key', async () => {
    const feed = new FakeFeed();
    feed.add({ withdrawn_keys: [key.kid] });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed });
    await verifier.ready();
    await assert.rejects(verifier.verify({ headers: { authorization: `Bearer ${await signToken(key)}` }, url: '/' }), { status: 401, description: 'the access token has been revoked' });
    await verifier.close();
  });

  it('keeps verifying with the last state through a short feed outage, then answers 503 once the state is stale', async () => {
    const feed = new FakeFeed();
    const errors: unknown[] = [];
    let now = Date.now();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed, pollInterval: 20, maxStaleness: 10_000, clock: () => now, onError: (error) => errors.push(error) });
    try {
      await verifier.ready();
      const request = { headers: { authorization: `Bearer ${await signToken(key)}` }, url: '/' };
      feed.failing = true;
      await sleep(60);
      assert.equal((await verifier.verify(request)).client_id, 'client-1', 'a few failed polls: the last state still vouches');
      assert.ok(errors.length >= 1, 'the failures are reported');
      now += 10_001;
      await assert.rejects(verifier.verify(request), (error: unknown) => error instanceof BearerError && error.status === 503 && error.retryAfter === 5 && error.code === 'temporarily_unavailable');
      feed.failing = false;
      await sleep(80);
      assert.equal((await verifier.verify(request)).client_id, 'client-1', 'accepted again once the feed answers');
    } finally {
      await verifier.close();
    }
  });

  it('refuses every token (503) when the feed never answered: a misconfiguration is loud', async () => {
    const feed = new FakeFeed();
    feed.failing = true;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed, pollInterval: 20, onError: () => {} });
    try {
      const response = verifier.verify({ headers: { authorization: `Bearer ${await signToken(key)}` }, url: '/' });
      await assert.rejects(response, (error: unknown) => error instanceof BearerError && error.status === 503);
    } finally {
      await verifier.close();
    }
  });

  it('with maxStaleness Infinity keeps accepting tokens on the last known state', async () => {
    const feed = new FakeFeed();
    feed.failing = true;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), revocations: feed, pollInterval: 20, maxStaleness: Infinity, onError: () => {} });
    try {
      assert.equal((await verifier.verify({ headers: { authorization: `Bearer ${await signToken(key)}` }, url: '/' })).client_id, 'client-1');
    } finally {
      await verifier.close();
    }
  });
});

describe('remoteRevocationSource over real HTTP', () => {
  let server: TestHttpServer;
  let answer: { status: number; body: unknown };

  before(async () => {
    server = await startHttpServer((_req, res) => sendJson(res, answer.status, answer.body));
  });
  after(() => server.close());

  const clientId = 'rs client';
  const clientSecret = 'gh_s3cr3t:with+plus and/slash%';

  it('GETs <issuer>/oauth/revocations?since=N with RFC 6749 §2.3.1 Basic credentials', async () => {
    answer = { status: 200, body: { revision: 7, clients: [], tokens: [], withdrawn_keys: ['k'] } };
    const source = remoteRevocationSource({ issuer: `${server.url}/`, clientId, clientSecret });
    const changes = await source.fetchChanges(5);
    assert.deepEqual(changes, { revision: 7, clients: [], tokens: [], withdrawn_keys: ['k'] });
    const request = server.requests.at(-1)!;
    assert.equal(request.url, '/oauth/revocations?since=5');
    const [scheme, encoded] = String(request.headers.authorization).split(' ');
    assert.equal(scheme, 'Basic');
    const [id, secret] = Buffer.from(encoded!, 'base64').toString('utf8').split(':');
    const decode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    assert.equal(decode(id!), clientId);
    assert.equal(decode(secret!), clientSecret);
    assert.ok(!secret!.includes(':') && !secret!.includes(' '), 'form-urlencoded before Base64');
  });

  it('fails with the status, and never the secret, on a non-200 answer', async () => {
    answer = { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } };
    const source = remoteRevocationSource({ issuer: server.url, clientId, clientSecret });
    const error = await source.fetchChanges(0).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as RevocationFeedError,
    );
    assert.ok(error instanceof RevocationFeedError);
    assert.equal(error.status, 401);
    assert.match(error.message, /401 \(invalid_client\)/);
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.cause)}`;
    assert.ok(!everything.includes(clientSecret) && !everything.includes(encodeURIComponent(clientSecret)), 'the secret leaks');
    assert.ok(!everything.includes(Buffer.from(`${clientId}:`).toString('base64').slice(0, 8)));
  });

  it('fails with a RevocationFeedError when the feed cannot be reached', async () => {
    const source = remoteRevocationSource({ issuer: 'http://127.0.0.1:9', clientId, clientSecret });
    await assert.rejects(source.fetchChanges(0), (error: unknown) => error instanceof RevocationFeedError && error.status === undefined && !error.message.includes(clientSecret));
  });

  it('feeds a verifier configured with revocationFeed', async () => {
    const key = await generateTestKey('ES256');
    answer = { status: 200, body: { revision: 1, clients: [], tokens: [], withdrawn_keys: [key.kid] } };
    const verifier = createVerifier({ issuer: server.url, audience: AUDIENCE, keys: staticKeySource([key]), revocationFeed: { clientId, clientSecret, pollInterval: 50 } });
    await verifier.ready();
    const token = await signToken(key, { iss: server.url });
    await assert.rejects(verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/' }), { description: 'the access token has been revoked' });
    await verifier.close();
  });
});
