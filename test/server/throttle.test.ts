import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, getToken, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';

describe('throttling of failed client authentication', () => {
  let t: TestGatehouse;
  let victim: TestClient;

  before(async () => {
    t = await createTestGatehouse({ config: { throttleWindow: 2, throttleMaxFailuresPerClient: 3, throttleMaxFailuresPerAddress: 6 } });
    victim = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  const attempt = (clientId: string, secret: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(clientId, secret) },
      payload: 'grant_type=client_credentials',
    });

  it('answers 429 with Retry-After once a client_id has too many failures, yet lets the right secret through', async () => {
    // Failures from several addresses, so only the per-client limit is reached.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(victim.clientId, 'wrong', `10.0.0.${i + 1}`)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const throttled = await attempt(victim.clientId, 'wrong', '10.0.0.9');
    assert.equal(throttled.statusCode, 429);
    assert.equal(throttled.json().error, 'temporarily_unavailable');
    const retryAfter = Number(throttled.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${throttled.headers['retry-after']}`);

    const legitimate = await attempt(victim.clientId, victim.secret, '10.0.0.50');
    assert.equal(legitimate.statusCode, 200, 'an attacker cannot lock the real client out');
  });

  it('answers further failures from an address over its limit with 429, while correct credentials from it still succeed', async () => {
    const other = await createClient(t.gatehouse, { tenant: 'acme' });
    const ip = '192.0.2.7';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await attempt(`unknown-${i}`, 'wrong', ip)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
    // Behind a load balancer every client shares one address: a correct request is never refused.
    assert.equal((await attempt(other.clientId, other.secret, ip)).statusCode, 200);
    assert.equal((await attempt(other.clientId, 'wrong', ip)).statusCode, 429, 'a failure from the address is still throttled');
    // Other addresses are unaffected.
    assert.equal((await attempt('unknown-x', 'wrong', '192.0.2.8')).statusCode, 401);
    await sleep(2100);
    assert.equal((await attempt('unknown-y', 'wrong', ip)).statusCode, 401, 'the count starts again when the window ends');
  });

  it('counts requests without credentials and unreadable Authorization headers as failures of the address', async () => {
    const ip = '192.0.2.99';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await t.app.inject({ method: 'POST', url: '/oauth/token', remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' })).statusCode);
      statuses.push((await t.app.inject({ method: 'POST', url: '/oauth/token', remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' }, payload: 'grant_type=client_credentials' })).statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
  });

  it('does not count successful requests', async () => {
    const busy = await createClient(t.gatehouse, { tenant: 'acme' });
    for (let i = 0; i < 20; i++) assert.equal((await attempt(busy.clientId, busy.secret, '198.51.100.1')).statusCode, 200);
  });

  it('throttles introspection callers that fail authentication too', async () => {
    const ip = '203.0.113.5';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/oauth/introspect',
            remoteAddress: ip,
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(`nobody-${i}`, 'wrong') },
            payload: 'token=x',
          })
        ).statusCode,
      );
    }
    assert.equal(statuses.at(-1), 429);
  });
});

describe('throttling shared through Redis', { skip: process.env.GATEHOUSE_TEST_REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set' }, () => {
  it('counts failures made on one server process against the limit on another', async () => {
    const config = { redisUrl: process.env.GATEHOUSE_TEST_REDIS_URL!, throttleWindow: 30, throttleMaxFailuresPerAddress: 4, throttleMaxFailuresPerClient: 100 };
    const a = await createTestGatehouse({ config });
    const b = await createTestGatehouse({ config });
    try {
      // A unique address per run keeps reruns apart on the shared Redis.
      const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      const attempt = (t: TestGatehouse) =>
        t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          remoteAddress: ip,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('nobody', 'wrong') },
          payload: 'grant_type=client_credentials',
        });
      for (let i = 0; i < 2; i++) assert.equal((await attempt(a)).statusCode, 401);
      for (let i = 0; i < 2; i++) assert.equal((await attempt(b)).statusCode, 401);
      assert.equal((await attempt(a)).statusCode, 429, 'the fifth failure, counted across both processes, is throttled');
      assert.equal((await attempt(b)).statusCode, 429);
      const health = await a.app.inject({ method: 'GET', url: '/healthz' });
      assert.deepEqual(health.json(), { status: 'ok' }, 'Redis is up: no "redis" member');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the throttled address behind a reverse proxy (trustProxy)', () => {
  const failFrom = (t: TestGatehouse, forwardedFor: string | undefined, i: number, remoteAddress = '127.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(`nobody-${i}`, 'wrong'),
        ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
      },
      payload: 'grant_type=client_credentials',
    });
  const limits = { throttleMaxFailuresPerAddress: 3, throttleMaxFailuresPerClient: 1000 };

  for (const trustProxy of ['127.0.0.1', '1', 'loopback,10.0.0.0/8']) {
    it(`with trustProxy "${trustProxy}", X-Forwarded-For from the proxy decides the address`, async () => {
      const t = await createTestGatehouse({ config: { ...limits, trustProxy } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await failFrom(t, '198.51.100.1', i)).statusCode);
        assert.deepEqual(statuses, [401, 401, 401, 429]);
        assert.equal((await failFrom(t, '198.51.100.2', 10)).statusCode, 401, 'another client behind the same proxy has its own count');
        assert.equal((await failFrom(t, '203.0.113.9, 198.51.100.3', 11)).statusCode, 401, 'the address the proxy saw counts, not one the client prepended');
        assert.equal((await failFrom(t, undefined, 12)).statusCode, 401, "the proxy's own address was never counted");
      } finally {
        await t.close();
      }
    });
  }

  it('with trustProxy off (the default), X-Forwarded-For is ignored: a client cannot escape the count by forging it', async () => {
    const t = await createTestGatehouse({ config: limits });
    try {
      assert.equal(t.config.trustProxy, '');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await failFrom(t, `198.51.100.${i + 1}`, i)).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    } finally {
      await t.close();
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a listed proxy', async () => {
    const t = await createTestGatehouse({ config: { ...limits, trustProxy: '10.0.0.0/8' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await failFrom(t, `198.51.100.${i + 1}`, i, '192.0.2.1')).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('Redis unreachable: throttling falls back to counting in this process', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    // Port 1 on loopback: nothing listens, connecting is refused at once.
    t = await createTestGatehouse({ config: { redisUrl: 'redis://127.0.0.1:1', throttleMaxFailuresPerAddress: 100, throttleMaxFailuresPerClient: 2 } });
    client = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  it('starts, issues tokens for correct credentials, and throttles failures with 429 as one process would — never 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ok = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) });
      assert.equal(ok.statusCode, 200, ok.body);
      const wrong = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, 'wrong') });
      statuses.push(wrong.statusCode);
      assert.equal(wrong.json().error, wrong.statusCode === 401 ? 'invalid_client' : 'temporarily_unavailable');
    }
    assert.deepEqual(statuses, [401, 401, 429, 429, 429], 'the per-client limit (2) still holds while Redis is down');
    const token = await getToken(t.app, client);
    const introspected = await postForm(t.app, '/oauth/introspect', { token }, { authorization: basicAuth(client.clientId, client.secret) });
    assert.equal(introspected.statusCode, 200);
    const unknown = await postForm(t.app, '/oauth/introspect', { token }, { authorization: basicAuth('nobody', 'wrong') });
    assert.equal(unknown.statusCode, 401);
  });

  it('GET /healthz stays 200 and says Redis is unavailable', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', redis: 'unavailable' });
  });
});
