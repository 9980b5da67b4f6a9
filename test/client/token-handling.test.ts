/**
 * What the SDK does with the answers it gets — lifetimes, malformed responses, redirects,
 * discovery, HTTP Basic encoding, aborts, refresh responses without a new refresh token —
 * with a scripted token endpoint (a fetch function), where a real server cannot be made
 * to misbehave.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { clientCredentials, DiscoveryError, discover, InvalidResponseError, NetworkError, refreshSession, SessionEndedError, TokenEndpointError, type TokenSet } from '../../packages/client/src/index.js';
import { TokenCache } from '../../packages/client/src/token-cache.js';
import { manualClock } from './helpers.js';
import { sleep } from '../helpers/timing.js';
import { jsonResponse } from '../helpers/http.js';

const TOKEN_ENDPOINT = 'https://as.test/token';

/** A token endpoint minting `token-1`, `token-2`, … with `extra` fields; records the forms it got. */
function scriptedEndpoint(extra: Record<string, unknown> = { expires_in: 3600 }) {
  const forms: URLSearchParams[] = [];
  const headers: Headers[] = [];
  const fetch: typeof globalThis.fetch = async (_input, init) => {
    forms.push(new URLSearchParams(String(init?.body)));
    headers.push(new Headers(init?.headers));
    return jsonResponse(200, { access_token: `token-${forms.length}`, token_type: 'bearer', ...extra });
  };
  return { fetch, forms, headers };
}

const base = { tokenEndpoint: TOKEN_ENDPOINT, clientId: 'client-1', clientSecret: 'secret-1' };

describe('token lifetimes', () => {
  it('without expires_in, a token is assumed to live defaultExpiresIn (300 s) and renewed renewBefore ahead', async () => {
    const endpoint = scriptedEndpoint({});
    const clock = manualClock();
    const start = clock.now();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch, clock: clock.now });
    const set = await client.getTokenSet();
    assert.equal(set.expiresIn, undefined);
    assert.equal(set.expiresAt, start + 300_000);
    clock.set(start + 239_000);
    assert.equal(await client.getToken(), 'token-1');
    clock.set(start + 241_000);
    assert.equal(await client.getToken(), 'token-2');
  });

  it('a token that lives no longer than renewBefore is renewed at half its life, not on every call', async () => {
    const endpoint = scriptedEndpoint({ expires_in: 30 });
    const clock = manualClock();
    const start = clock.now();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch, clock: clock.now, renewBefore: 60 });
    assert.equal(await client.getToken(), 'token-1');
    clock.set(start + 14_000);
    assert.equal(await client.getToken(), 'token-1');
    clock.set(start + 15_001);
    assert.equal(await client.getToken(), 'token-2');
  });

  it('counts the lifetime from when the attempt that succeeded was sent, not from the first attempt', async () => {
    const clock = manualClock();
    const start = clock.now();
    let calls = 0;
    const client = clientCredentials({
      ...base,
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      random: () => 0, // no jitter on top of Retry-After
      fetch: async () => (++calls === 1 ? jsonResponse(503, { error: 'temporarily_unavailable' }, { 'retry-after': '10' }) : jsonResponse(200, { access_token: 't', token_type: 'Bearer', expires_in: 600 })),
    });
    assert.equal((await client.getTokenSet()).expiresAt, start + 10_000 + 600_000);
  });

  it('accepts expires_in sent as a numeric string', async () => {
    const client = clientCredentials({ ...base, fetch: scriptedEndpoint({ expires_in: '120' }).fetch });
    assert.equal((await client.getTokenSet()).expiresIn, 120);
  });

  it('a token with expires_in 0 is handed to its caller and not cached: the next call gets a new one', async () => {
    const client = clientCredentials({ ...base, fetch: scriptedEndpoint({ expires_in: 0 }).fetch });
    assert.equal(await client.getToken(), 'token-1');
    assert.equal(await client.getToken(), 'token-2');
  });

  it('expired entries are dropped from the cache when a token is stored', () => {
    const clock = manualClock();
    const cache = new TokenCache({ renewBefore: 60, defaultExpiresIn: 300, clock: clock.now });
    const token = (accessToken: string, expiresIn: number): TokenSet => ({ accessToken, tokenType: 'Bearer', expiresAt: clock.now() + expiresIn * 1000, expiresIn, scope: undefined, refreshToken: undefined, tenant: undefined });
    cache.set('short', token('short', 10));
    clock.advance(10_000);
    cache.set('long', token('long', 600));
    assert.equal(cache.invalidate('short', 'short'), false, 'the expired entry is gone');
    assert.equal(cache.invalidate('long', 'long'), true);
  });
});

describe('while the authorization server is down', () => {
  /** A token endpoint that mints token-<n> for 600 s, or fails to connect while `down`; counts calls. */
  function flakyEndpoint() {
    const state = { down: false, calls: 0 };
    const fetch: typeof globalThis.fetch = async () => {
      state.calls++;
      if (state.down) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
      return jsonResponse(200, { access_token: `token-${state.calls}`, token_type: 'Bearer', expires_in: 600 });
    };
    return { state, fetch };
  }

  it('a failed renewal hands out the still-valid token, then for 5 s without a new attempt, then tries again', async () => {
    const endpoint = flakyEndpoint();
    const clock = manualClock();
    const start = clock.now();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch, clock: clock.now, retry: false });
    assert.equal(await client.getToken(), 'token-1');
    endpoint.state.down = true;
    clock.set(start + 550_000); // 50 s left: inside the renewal window
    assert.equal(await client.getToken(), 'token-1');
    assert.equal(endpoint.state.calls, 2, 'the renewal was attempted');
    clock.advance(4_999);
    assert.equal(await client.getToken(), 'token-1');
    assert.equal(endpoint.state.calls, 2, 'no attempt during the pause: the caller is not kept waiting');
    clock.advance(1);
    assert.equal(await client.getToken(), 'token-1');
    assert.equal(endpoint.state.calls, 3, 'the pause is over: tried again');
    endpoint.state.down = false;
    clock.advance(5_000);
    assert.equal(await client.getToken(), 'token-4', 'renewed once the server is back');
  });

  it('the pause never hands out a token in its last 5 s', async () => {
    const endpoint = flakyEndpoint();
    const clock = manualClock();
    const start = clock.now();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch, clock: clock.now, retry: false });
    await client.getToken();
    endpoint.state.down = true;
    clock.set(start + 594_000); // 6 s left
    assert.equal(await client.getToken(), 'token-1');
    clock.set(start + 595_500); // 4.5 s left, inside the pause
    await assert.rejects(client.getToken(), NetworkError);
    assert.equal(endpoint.state.calls, 3);
  });
});

describe('an answer whose body is cut off', () => {
  it('a timeout while the body is read is a NetworkError (the answer is lost), not an invalid response', async () => {
    // Headers and half a body, then nothing: the request's timeout fires while the SDK reads.
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"access_token":"');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const client = clientCredentials({ ...base, tokenEndpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`, timeoutMs: 300, retry: false });
      await assert.rejects(client.getToken(), (error: unknown) => {
        assert.ok(error instanceof NetworkError, String(error));
        assert.equal(error.attempts, 1);
        assert.match(error.message, /TimeoutError/);
        return true;
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a refresh whose answer is cut off keeps the refresh token it presented, for the next call', async () => {
    const endpoint = scriptedEndpoint({ expires_in: 600, refresh_token: 'rt-2' });
    let cut = true;
    const session = refreshSession({
      ...base,
      refreshToken: 'rt-1',
      onRefreshToken: () => {},
      retry: false,
      fetch: async (input, init) => {
        const response = await endpoint.fetch(input, init);
        if (!cut) return response;
        cut = false;
        return new Response(new ReadableStream({ pull: (controller) => controller.error(new TypeError('terminated')) }), { status: 200 });
      },
    });
    await assert.rejects(session.getToken(), NetworkError);
    assert.equal(session.ended, false);
    assert.equal(await session.getToken(), 'token-2');
    assert.deepEqual(endpoint.forms.map((form) => form.get('refresh_token')), ['rt-1', 'rt-1']);
  });
});

describe('answers that are not a usable token', () => {
  for (const [what, response] of [
    ['a body that is not JSON', () => new Response('<html>', { status: 200 })],
    ['no access_token', () => jsonResponse(200, { token_type: 'Bearer' })],
    ['a token type other than Bearer', () => jsonResponse(200, { access_token: 'x', token_type: 'N_A' })],
    ['expires_in that is not a number', () => jsonResponse(200, { access_token: 'x', token_type: 'Bearer', expires_in: 'soon' })],
    ['a redirect', () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.test/token' } })],
  ] as const) {
    it(`${what}: InvalidResponseError, not retried`, async () => {
      let calls = 0;
      const client = clientCredentials({
        ...base,
        fetch: async () => {
          calls++;
          return response();
        },
      });
      await assert.rejects(client.getToken(), InvalidResponseError);
      assert.equal(calls, 1);
    });
  }

  it('an error answer that is not RFC 6749 JSON (a proxy page) is still a typed, retryable error', async () => {
    const client = clientCredentials({ ...base, retry: false, fetch: async () => new Response('<h1>Bad gateway</h1>', { status: 502 }) });
    await assert.rejects(client.getToken(), (error: unknown) => {
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.status, 502);
      assert.equal(error.error, undefined);
      assert.equal(error.retryable, true);
      return true;
    });
  });

  it('an overlong, non-ASCII error_description is capped and made printable', async () => {
    const client = clientCredentials({ ...base, fetch: async () => jsonResponse(400, { error: 'invalid_request', error_description: `é\n${'x'.repeat(1000)}` }) });
    await assert.rejects(client.getToken(), (error: unknown) => {
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.errorDescription!.length, 300);
      assert.match(error.errorDescription!, /^\?\?x+\.\.\.$/);
      return true;
    });
  });
});

describe('client authentication', () => {
  it('client_secret_basic form-encodes id and secret before Base64 (RFC 6749 §2.3.1)', async () => {
    const endpoint = scriptedEndpoint();
    const client = clientCredentials({ ...base, clientId: 'my client:1', clientSecret: 'p@ss wörd+/=:%', fetch: endpoint.fetch });
    await client.getToken();
    const [scheme, encoded] = endpoint.headers[0]!.get('authorization')!.split(' ');
    assert.equal(scheme, 'Basic');
    assert.equal(Buffer.from(encoded!, 'base64').toString('utf8'), 'my+client%3A1:p%40ss+w%C3%B6rd%2B%2F%3D%3A%25');
    assert.equal(endpoint.forms[0]!.get('client_id'), null, 'never both methods');
  });

  it('client_secret_post sends id and secret in the body only', async () => {
    const endpoint = scriptedEndpoint();
    const client = clientCredentials({ ...base, authMethod: 'client_secret_post', fetch: endpoint.fetch });
    await client.getToken();
    assert.equal(endpoint.headers[0]!.get('authorization'), null);
    assert.equal(endpoint.forms[0]!.get('client_id'), 'client-1');
    assert.equal(endpoint.forms[0]!.get('client_secret'), 'secret-1');
  });

  it('refuses a configuration without a secret, without an endpoint or with two (also at the type level)', () => {
    assert.throws(() => clientCredentials({ ...base, clientSecret: '' }), TypeError);
    // @ts-expect-error neither issuer nor tokenEndpoint
    assert.throws(() => clientCredentials({ clientId: 'a', clientSecret: 'b' }), /either issuer or tokenEndpoint/);
    // @ts-expect-error issuer and tokenEndpoint
    assert.throws(() => clientCredentials({ ...base, issuer: 'https://as.test' }), /either issuer or tokenEndpoint/);
    assert.throws(() => clientCredentials({ ...base, tokenEndpoint: 'not a url' }), /absolute URL/);
  });
});

describe('discovery', () => {
  it('shares one metadata request among concurrent callers, and does not remember a failure', async () => {
    let calls = 0;
    let failing = true;
    const fetch: typeof globalThis.fetch = async (input) => {
      const url = String(input);
      if (url.endsWith('/token')) return jsonResponse(200, { access_token: 't', token_type: 'Bearer', expires_in: 60 });
      calls++;
      if (failing) return jsonResponse(503, { error: 'temporarily_unavailable' });
      return jsonResponse(200, { issuer: 'https://as.test', token_endpoint: 'https://as.test/token' });
    };
    const client = clientCredentials({ issuer: 'https://as.test', clientId: 'c', clientSecret: 's', fetch, retry: false });
    const failed = await Promise.allSettled(Array.from({ length: 10 }, () => client.getToken({ scope: String(Math.random()) })));
    assert.ok(failed.every((result) => result.status === 'rejected' && result.reason instanceof DiscoveryError));
    assert.equal(calls, 1, 'one discovery request for ten callers');
    failing = false;
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.getToken({ scope: `s${i}` })));
    assert.equal(calls, 2, 'tried again, once');
  });

  it('refuses metadata naming another issuer (RFC 8414 §3.3), and an http endpoint for an https issuer', async () => {
    await assert.rejects(discover('https://as.test', { fetch: async () => jsonResponse(200, { issuer: 'https://as.test/', token_endpoint: 'https://as.test/token' }) }), /names the issuer "https:\/\/as.test\/"/);
    await assert.rejects(discover('https://as.test', { fetch: async () => jsonResponse(200, { issuer: 'https://as.test', token_endpoint: 'http://as.test/token' }) }), /must use https/);
  });

  it('for an issuer with a path, asks the RFC 8414 §3.1 location first', async () => {
    const asked: string[] = [];
    const metadata = await discover('https://as.test/tenant-a', {
      fetch: async (input) => {
        asked.push(String(input));
        return asked.length < 2 ? new Response(null, { status: 404 }) : jsonResponse(200, { issuer: 'https://as.test/tenant-a' });
      },
    });
    assert.equal(metadata.issuer, 'https://as.test/tenant-a');
    assert.deepEqual(asked, ['https://as.test/.well-known/oauth-authorization-server/tenant-a', 'https://as.test/tenant-a/.well-known/oauth-authorization-server']);
  });
});

describe('single flight and callers', () => {
  it("an aborted caller stops waiting; the shared request goes on for the others", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const client = clientCredentials({
      ...base,
      fetch: async () => {
        calls++;
        await gate;
        return jsonResponse(200, { access_token: 'shared', token_type: 'Bearer', expires_in: 600 });
      },
    });
    const controller = new AbortController();
    const aborted = client.getToken({ signal: controller.signal });
    const patient = client.getToken();
    controller.abort(new Error('the caller gave up'));
    await assert.rejects(aborted, /the caller gave up/);
    release();
    assert.equal(await patient, 'shared');
    assert.equal(calls, 1);
  });

  it('an already-aborted signal rejects with its reason, without a request', async () => {
    const endpoint = scriptedEndpoint();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch });
    await assert.rejects(client.getToken({ signal: AbortSignal.abort(new Error('the caller gave up')) }), /the caller gave up/);
    await sleep(20);
    assert.equal(endpoint.forms.length, 0);
  });

  it("authorizedFetch stops waiting for the token when the request's own signal aborts", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const client = clientCredentials({
      ...base,
      fetch: async () => {
        await gate;
        return jsonResponse(200, { access_token: 'late', token_type: 'Bearer', expires_in: 600 });
      },
    });
    const controller = new AbortController();
    const pending = client.authorizedFetch('https://api.test/files', { signal: controller.signal });
    controller.abort(new Error('the user navigated away'));
    setTimeout(release, 50);
    await assert.rejects(pending, /the user navigated away/);
  });

  it('invalidate drops a token only while it is still the cached one', async () => {
    const endpoint = scriptedEndpoint({ expires_in: 600 });
    const clock = manualClock();
    const client = clientCredentials({ ...base, fetch: endpoint.fetch, clock: clock.now });
    const old = await client.getToken();
    clock.advance(541_000); // inside the renewal window
    const renewed = await client.getToken();
    assert.notEqual(renewed, old);
    client.invalidate(old); // a late 401 for the old token
    assert.equal(await client.getToken(), renewed);
    assert.equal(endpoint.forms.length, 2);
    client.invalidate(renewed);
    assert.equal(await client.getToken(), 'token-3');
  });
});

describe('refresh session answers', () => {
  it('a refresh answer without a refresh_token keeps the current one (RFC 6749 §6), without calling onRefreshToken', async () => {
    const endpoint = scriptedEndpoint({ expires_in: 600 });
    const persisted: string[] = [];
    const session = refreshSession({ ...base, refreshToken: 'rt-1', onRefreshToken: (token) => void persisted.push(token), fetch: endpoint.fetch });
    await session.getToken({ tenant: 'a' });
    await session.getToken({ tenant: 'b' });
    assert.deepEqual(endpoint.forms.map((form) => form.get('refresh_token')), ['rt-1', 'rt-1']);
    assert.deepEqual(persisted, []);
  });

  it("caches the exchanged tokens for the tenant they were issued for, not the session's default tenant", async () => {
    const endpoint = scriptedEndpoint({ expires_in: 600 });
    const exchanged: TokenSet = { accessToken: 'exchanged', tokenType: 'Bearer', expiresAt: Date.now() + 600_000, expiresIn: 600, scope: 'documents:read', refreshToken: 'rt-1', tenant: undefined };
    const session = refreshSession({ ...base, tokens: exchanged, tenant: 'acme', onRefreshToken: () => {}, fetch: endpoint.fetch });
    assert.equal(await session.getToken(), 'token-1', 'a token for acme, not the tenant-free one');
    assert.equal(endpoint.forms[0]!.get('tenant'), 'acme');

    const forAcme = refreshSession({ ...base, tokens: { ...exchanged, tenant: 'acme' }, tenant: 'acme', onRefreshToken: () => {}, fetch: endpoint.fetch });
    assert.equal(await forAcme.getToken(), 'exchanged');
    assert.equal(endpoint.forms.length, 1);
  });

  it('calling the session from inside onRefreshToken is a TypeError, not a deadlock', async () => {
    let reentry: Promise<unknown> | undefined;
    const session = refreshSession({
      ...base,
      refreshToken: 'rt-1',
      fetch: scriptedEndpoint({ expires_in: 600, refresh_token: 'rt-2' }).fetch,
      onRefreshToken: async () => {
        reentry = session.getToken({ tenant: 'other' }).catch((error: unknown) => error);
      },
    });
    assert.equal(await session.getToken(), 'token-1');
    const error = await reentry;
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /inside onRefreshToken/);
  });

  it('close() ends the session', async () => {
    const session = refreshSession({ ...base, refreshToken: 'rt-1', onRefreshToken: () => {}, fetch: scriptedEndpoint().fetch });
    await session.getToken();
    session.close();
    assert.equal(session.ended, true);
    await assert.rejects(session.getToken(), SessionEndedError);
  });

  it('a public client authenticates with its client_id alone', async () => {
    const endpoint = scriptedEndpoint({ expires_in: 600, refresh_token: 'rt-2' });
    const session = refreshSession({ tokenEndpoint: TOKEN_ENDPOINT, clientId: 'public-app', refreshToken: 'rt-1', onRefreshToken: () => {}, fetch: endpoint.fetch });
    await session.getToken();
    assert.equal(endpoint.forms[0]!.get('client_id'), 'public-app');
    assert.equal(endpoint.headers[0]!.get('authorization'), null);
  });
});
