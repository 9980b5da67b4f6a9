import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basicAuth, createClient, createTestGatehouse, sleep, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';

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

  it('blocks an address that keeps failing, for every client, until the window ends', async () => {
    const other = await createClient(t.gatehouse, { tenant: 'acme' });
    const ip = '192.0.2.7';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt(`unknown-${i}`, 'wrong', ip)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
    // Even correct credentials from the blocked address wait for the window.
    assert.equal((await attempt(other.clientId, other.secret, ip)).statusCode, 429);
    // Other addresses are unaffected.
    assert.equal((await attempt(other.clientId, other.secret, '192.0.2.8')).statusCode, 200);
    await sleep(2100);
    assert.equal((await attempt(other.clientId, other.secret, ip)).statusCode, 200, 'the block lifts when the window ends');
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
    } finally {
      await a.close();
      await b.close();
    }
  });
});
