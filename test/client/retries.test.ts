/**
 * The retry policy, with a real Gatehouse behind a small local front that answers some
 * requests itself (503, 429) before forwarding the rest: what is retried (network
 * errors, 5xx, 429, honouring Retry-After) and what is not (4xx protocol errors).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientCredentials, NetworkError, TokenEndpointError } from '../../packages/client/src/index.js';
import { parseRetryAfter } from '../../packages/client/src/transport.js';
import { freePort } from '../helpers/process.js';
import { answer, recordingFetch, recordingSleep, startFront, startGatehouse, type RealGatehouse } from './helpers.js';

const tokenRequests = (front: { requests: { path: string }[] }) => front.requests.filter((request) => request.path === '/oauth/token').length;

describe('retries against a real Gatehouse behind a local front', () => {
  let gatehouse: RealGatehouse;
  let credentials: { clientId: string; clientSecret: string };

  before(async () => {
    gatehouse = await startGatehouse();
    credentials = await gatehouse.createClient();
  });
  after(() => gatehouse?.close());

  it('a 503 with Retry-After, then a 200: retried after the server-given delay', async () => {
    let outage = 1;
    const front = await startFront(gatehouse.server.url, (_request, _body, response) =>
      outage-- > 0 ? answer(response, 503, { error: 'temporarily_unavailable', error_description: 'the database is unreachable' }, { 'retry-after': '2' }) : false,
    );
    try {
      const waits = recordingSleep();
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, sleep: waits.sleep, random: () => 0.5 });
      const token = await client.getToken();
      assert.ok(token.length > 0);
      assert.equal(tokenRequests(front), 2, 'the 503, then the retry that reached Gatehouse');
      assert.deepEqual(waits.waits, [2100], 'what Retry-After said, plus jitter: half (random 0.5) of max(baseDelayMs 200, 10 %)');
    } finally {
      await front.close();
    }
  });

  it('a 5xx without Retry-After is retried with capped, jittered exponential backoff, then fails typed', async () => {
    const front = await startFront(gatehouse.server.url, (_request, _body, response) => answer(response, 502, { error: 'server_error' }));
    try {
      const waits = recordingSleep();
      const client = clientCredentials({
        tokenEndpoint: `${front.url}/oauth/token`,
        ...credentials,
        retry: { retries: 4, baseDelayMs: 100, maxDelayMs: 300 },
        random: () => 0.5,
        sleep: waits.sleep,
      });
      const error = await client.getToken().then(
        () => assert.fail('must fail'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.status, 502);
      assert.equal(error.error, 'server_error');
      assert.equal(error.retryable, true);
      assert.equal(tokenRequests(front), 5, 'the first attempt and four retries');
      assert.deepEqual(waits.waits, [50, 100, 150, 150], 'half (random 0.5) of 100, 200, then the 300 cap');
    } finally {
      await front.close();
    }
  });

  it('a 429 with Retry-After is honoured', async () => {
    let throttled = 1;
    const front = await startFront(gatehouse.server.url, (_request, _body, response) =>
      throttled-- > 0 ? answer(response, 429, { error: 'temporarily_unavailable' }, { 'retry-after': '1' }) : false,
    );
    try {
      const waits = recordingSleep();
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, sleep: waits.sleep, random: () => 0.5 });
      await client.getToken();
      assert.equal(tokenRequests(front), 2);
      assert.deepEqual(waits.waits, [1100]);
    } finally {
      await front.close();
    }
  });

  it('a Retry-After longer than maxRetryAfterMs fails at once with a typed error instead of hanging', async () => {
    const front = await startFront(gatehouse.server.url, (_request, _body, response) => answer(response, 503, { error: 'temporarily_unavailable' }, { 'retry-after': '3600' }));
    try {
      const waits = recordingSleep();
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, sleep: waits.sleep, retry: { maxRetryAfterMs: 30_000 } });
      await assert.rejects(client.getToken(), (error: unknown) => {
        assert.ok(error instanceof TokenEndpointError);
        assert.equal(error.status, 503);
        assert.equal(error.retryAfter, 3600);
        assert.match(error.message, /Retry-After 3600 s is longer than the 30 s/);
        return true;
      });
      assert.equal(tokenRequests(front), 1);
      assert.deepEqual(waits.waits, []);
    } finally {
      await front.close();
    }
  });

  it('a 400 from Gatehouse (a scope the client may not have) is not retried', async () => {
    const front = await startFront(gatehouse.server.url, () => false);
    try {
      const waits = recordingSleep();
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, scope: 'documents:delete', sleep: waits.sleep });
      await assert.rejects(client.getToken(), (error: unknown) => {
        assert.ok(error instanceof TokenEndpointError);
        assert.equal(error.status, 400);
        assert.equal(error.error, 'invalid_scope');
        assert.equal(error.retryable, false);
        // The description names the parameter, never echoes client input (RFC 6749 §5.2 charset).
        assert.match(error.errorDescription ?? '', /scope/);
        return true;
      });
      assert.equal(tokenRequests(front), 1, 'exactly one request');
      assert.deepEqual(waits.waits, []);
    } finally {
      await front.close();
    }
  });

  it('a connection refused is retried, then fails with a NetworkError counting every request (retries: 2 → 3 attempts)', async () => {
    const port = await freePort(); // nothing listens there
    const recorder = recordingFetch();
    const waits = recordingSleep();
    const client = clientCredentials({ tokenEndpoint: `http://127.0.0.1:${port}/oauth/token`, ...credentials, fetch: recorder.fetch, sleep: waits.sleep, retry: { retries: 2 } });
    const error = await client.getToken().then(
      () => assert.fail('must fail'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.attempts, 3);
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(recorder.requests.length, 3);
    assert.equal(waits.waits.length, 2);
  });

  it('retry: false makes one attempt', async () => {
    const front = await startFront(gatehouse.server.url, (_request, _body, response) => answer(response, 503, { error: 'temporarily_unavailable' }));
    try {
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, retry: false });
      await assert.rejects(client.getToken(), { name: 'TokenEndpointError', status: 503 });
      assert.equal(tokenRequests(front), 1);
    } finally {
      await front.close();
    }
  });

  it('while the server is down, a renewal that fails hands out the cached token that is still valid', async () => {
    let down = false;
    const front = await startFront(gatehouse.server.url, (_request, _body, response) => (down ? answer(response, 503, { error: 'temporarily_unavailable' }) : false));
    try {
      let now = Date.now();
      const client = clientCredentials({ tokenEndpoint: `${front.url}/oauth/token`, ...credentials, clock: () => now, retry: false });
      const token = await client.getToken();
      down = true;
      now += 3_600_000 - 30_000; // inside the renewal window, 30 s before expiry
      assert.equal(await client.getToken(), token);
      assert.equal(tokenRequests(front), 2, 'the renewal was attempted');
      now += 29_000; // 1 s before expiry: too late to hand out
      await assert.rejects(client.getToken(), { name: 'TokenEndpointError', status: 503 });
    } finally {
      await front.close();
    }
  });
});

describe('Retry-After parsing (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

  it('reads delta-seconds and IMF-fixdate HTTP-dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('ignores anything else (then the backoff applies): fractions, negative numbers, other date formats, garbage', () => {
    for (const value of ['1.5', '-1', '+5', '1e3', '2026-10-21T07:28:30Z', 'Wednesday, 21-Oct-26 07:28:30 GMT', 'Wed, 21 Oct 2026 07:28:30 +0000', 'soon', '']) {
      assert.equal(parseRetryAfter(value, now), undefined, value);
    }
  });
});
