/**
 * @gatehouse-auth/client's user-delegated helpers against a REAL `gatehouse serve` process: the
 * authorization URL (PKCE S256), a user signing in over HTTP, callback validation
 * (state, RFC 9207 iss, error responses), the code exchange, and a refresh-token session
 * minting per-tenant access tokens from one rotating refresh token.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CallbackError,
  createAuthorizationRequest,
  exchangeCode,
  refreshSession,
  RefreshTokenPersistenceError,
  SessionEndedError,
  TokenEndpointError,
  validateCallback,
  type TokenSet,
} from '../../packages/client/src/index.js';
import { recordingFetch, recordingSleep, signIn, startFront, startGatehouse, type RealGatehouse } from './helpers.js';
import { postForm } from '../helpers/http.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';

const REDIRECT_URI = 'https://app.example.com/callback';
const PASSWORD = 'a long enough password';

describe('user-delegated access with @gatehouse-auth/client against a real Gatehouse', () => {
  let gatehouse: RealGatehouse;
  let app: { clientId: string; clientSecret: string };
  let graceApp: { clientId: string; clientSecret: string };
  let resourceServer: { clientId: string; clientSecret: string };
  let users = 0;

  before(async () => {
    gatehouse = await startGatehouse();
    await gatehouse.cli(['tenant', 'create', 'initech']);
    const delegated = ['--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--redirect-uri', REDIRECT_URI];
    app = await gatehouse.createClient({ args: delegated });
    graceApp = await gatehouse.createClient({ args: [...delegated, '--refresh-grace', '2m'] });
    resourceServer = await gatehouse.createClient({ args: ['--resource-server'] });
  });
  after(() => gatehouse?.close());

  /** A new user of acme and globex: consent is remembered per user, so each test has its own. */
  async function newUser(): Promise<{ username: string; password: string }> {
    const username = `user${++users}`;
    await gatehouse.cli(['user', 'create', '--tenant', 'acme', '--username', username, '--password-stdin'], `${PASSWORD}\n`);
    await gatehouse.cli(['user', 'add-tenant', username, 'globex']);
    return { username, password: PASSWORD };
  }

  /** Authorization request → sign-in and consent for `tenants` → validated callback → code exchange. */
  async function signInAndExchange(client: { clientId: string; clientSecret: string }, tenants: string[], tenant?: string): Promise<TokenSet> {
    const request = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: client.clientId, redirectUri: REDIRECT_URI, scope: 'documents:read documents:write' });
    const { callback } = await signIn(request.url, await newUser(), { tenants });
    const code = await validateCallback(callback, { state: request.state, issuer: gatehouse.issuer });
    return exchangeCode({ issuer: gatehouse.issuer, ...client, code, codeVerifier: request.codeVerifier, redirectUri: REDIRECT_URI, ...(tenant ? { tenant } : {}) });
  }

  /** The consent page's checkbox for `tenant` (the picker shown to a user of several tenants). */
  function tenantCheckbox(consentPage: string | undefined, tenant: string): string {
    const checkbox = new RegExp(`<input type="checkbox"[^>]* value="${tenant}"[^>]*>`).exec(consentPage ?? '')?.[0];
    assert.ok(checkbox, `no checkbox for ${tenant} on the consent page`);
    return checkbox;
  }

  async function isActive(token: string): Promise<boolean> {
    const response = await postForm(`${gatehouse.server.url}/oauth/introspect`, { token }, { authorization: basicAuth(resourceServer.clientId, resourceServer.clientSecret) });
    assert.equal(response.status, 200);
    return response.json?.active === true;
  }

  it('builds an authorization URL with PKCE S256 that Gatehouse accepts, validates the callback and exchanges the code', async () => {
    const request = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: app.clientId, redirectUri: REDIRECT_URI, scope: ['documents:write', 'documents:read'] });
    const url = new URL(request.url);
    assert.equal(`${url.origin}${url.pathname}`, `${gatehouse.issuer}/oauth/authorize`, 'the endpoint comes from the metadata');
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), app.clientId);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(url.searchParams.get('scope'), 'documents:read documents:write');
    assert.equal(url.searchParams.get('state'), request.state);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(request.codeVerifier, /^[A-Za-z0-9_-]{43}$/, 'RFC 7636 §4.1: 43 unreserved characters from 32 random bytes');
    assert.equal(url.searchParams.get('code_challenge'), createHash('sha256').update(request.codeVerifier).digest('base64url'));
    assert.ok(!request.url.includes(request.codeVerifier), 'the verifier never travels through the browser');
    assert.equal(url.searchParams.get('tenant'), null, 'no tenant hint unless asked for');
    const another = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: app.clientId, redirectUri: REDIRECT_URI });
    assert.notEqual(another.state, request.state);
    assert.notEqual(another.codeVerifier, request.codeVerifier);

    const { callback, consentPage } = await signIn(request.url, await newUser(), { tenants: ['acme', 'globex'] });
    for (const tenant of ['acme', 'globex']) assert.doesNotMatch(tenantCheckbox(consentPage, tenant), / checked/, 'without a hint, no tenant is pre-selected');
    const code = await validateCallback(callback, { state: request.state, issuer: gatehouse.issuer });
    const tokens = await exchangeCode({ issuer: gatehouse.issuer, ...app, code, codeVerifier: request.codeVerifier, redirectUri: REDIRECT_URI, tenant: 'acme' });
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(tokens.tenant, 'acme');
    assert.equal(jwtPayload(tokens.accessToken).tenant, 'acme');
    assert.match(tokens.refreshToken ?? '', /^gatehouse_rt_/);
    assert.equal(tokens.scope, 'documents:read documents:write');
  });

  it('sends the tenant hint as tenant=<slug>: the consent page pre-selects that tenant, and Gatehouse grants what the user picks', async () => {
    const request = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: app.clientId, redirectUri: REDIRECT_URI, tenant: 'globex' });
    assert.equal(new URL(request.url).searchParams.get('tenant'), 'globex');
    const { callback, consentPage } = await signIn(request.url, await newUser(), { tenants: ['acme'] });
    assert.match(tenantCheckbox(consentPage, 'globex'), / checked/, 'the hinted tenant is pre-checked');
    assert.doesNotMatch(tenantCheckbox(consentPage, 'acme'), / checked/, 'the other one is not');
    const code = await validateCallback(callback, { state: request.state, issuer: gatehouse.issuer });
    const tokens = await exchangeCode({ issuer: gatehouse.issuer, ...app, code, codeVerifier: request.codeVerifier, redirectUri: REDIRECT_URI, tenant: 'acme' });
    assert.equal(jwtPayload(tokens.accessToken).tenant, 'acme');
  });

  it('a refresh session mints per-tenant tokens from one refresh token: concurrent refreshes run one after the other, each with the newest token', async () => {
    const tokens = await signInAndExchange(app, ['acme', 'globex'], 'acme');
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    /** Every refresh: the refresh token it presented and the one its answer carried. */
    const timeline: { presented: string; returned: string }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const persisted: string[] = [];
    const session = refreshSession({
      issuer: gatehouse.issuer,
      ...app,
      tokens,
      onRefreshToken: async (refreshToken) => {
        persisted.push(refreshToken);
      },
      fetch: async (input, init) => {
        const form = typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? new URLSearchParams(init.body) : undefined;
        if (form?.get('grant_type') !== 'refresh_token') return recorder.fetch(input, init);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          const response = await recorder.fetch(input, init);
          const answer = (await response.clone().json()) as { refresh_token: string };
          timeline.push({ presented: form.get('refresh_token')!, returned: answer.refresh_token });
          return response;
        } finally {
          inFlight--;
        }
      },
    });

    // The exchanged access token is for acme: served from the session's cache.
    assert.equal(await session.getToken({ tenant: 'acme' }), tokens.accessToken);
    assert.equal(recorder.tokenRequests().length, 0);

    const [globex1, globex2, tenantFree, globex3] = await Promise.all([
      session.getToken({ tenant: 'globex' }),
      session.getToken({ tenant: 'globex' }),
      session.getToken(),
      session.getToken({ tenant: 'globex' }),
    ]);
    assert.equal(globex1, globex2);
    assert.equal(globex1, globex3);
    assert.equal(jwtPayload(globex1).tenant, 'globex');
    assert.equal(jwtPayload(tenantFree).tenant, undefined);

    assert.equal(timeline.length, 2, 'one refresh for globex (shared by three callers), one for the tenant-free token');
    assert.equal(maxInFlight, 1, 'never two refreshes at the token endpoint at once');
    assert.equal(timeline[0]!.presented, tokens.refreshToken, 'the first refresh presents the exchanged refresh token');
    assert.equal(timeline[1]!.presented, timeline[0]!.returned, 'the second presents the token the first one returned');
    assert.deepEqual(persisted, timeline.map((entry) => entry.returned), 'onRefreshToken got every new refresh token');
    assert.equal(new Set([tokens.refreshToken, ...persisted]).size, 3);

    // The tokens work at the demo API, through authorizedFetch too.
    const files = await session.authorizedFetch(`${gatehouse.server.url}/api/files`, {}, { tenant: 'globex' });
    assert.equal(files.status, 200);
    const listed = await session.authorizedFetch(`${gatehouse.server.url}/api/tenants`);
    assert.deepEqual(await listed.json(), { tenants: [{ slug: 'acme', name: 'Acme' }, { slug: 'globex', name: 'Globex' }] });
    assert.equal(timeline.length, 2, 'served from the cache');

    // A narrower scope for acme: a third refresh with the newest token.
    const readOnly = await session.getTokenSet({ tenant: 'acme', scope: 'documents:read' });
    assert.equal(readOnly.scope, 'documents:read');
    assert.equal(readOnly.refreshToken, undefined, 'the session never hands out its refresh token');
    assert.equal(timeline[2]!.presented, timeline[1]!.returned);
    assert.equal(maxInFlight, 1);

    // No refresh token was presented twice: reuse detection never fired, everything is active.
    assert.equal(new Set(timeline.map((entry) => entry.presented)).size, timeline.length);
    for (const token of [tokens.accessToken, globex1, tenantFree, readOnly.accessToken]) assert.equal(await isActive(token), true);
  });

  it('a tenant the user did not grant is a typed invalid_target error, and the session goes on', async () => {
    const tokens = await signInAndExchange(app, ['acme']);
    const persisted: string[] = [];
    const session = refreshSession({ issuer: gatehouse.issuer, ...app, refreshToken: tokens.refreshToken!, onRefreshToken: (token) => void persisted.push(token) });
    await assert.rejects(session.getToken({ tenant: 'initech' }), (error: unknown) => {
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.error, 'invalid_target');
      assert.equal(error.status, 400);
      return true;
    });
    assert.equal(session.ended, false);
    assert.equal(persisted.length, 0, 'a refused refresh does not rotate');
    assert.equal(jwtPayload(await session.getToken({ tenant: 'acme' })).tenant, 'acme');
    assert.equal(persisted.length, 1);
  });

  it('invalid_grant ends the session: that call and every later one fail with SessionEndedError, without a request', async () => {
    const tokens = await signInAndExchange(app, ['acme']);
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const session = refreshSession({ issuer: gatehouse.issuer, ...app, refreshToken: tokens.refreshToken!, onRefreshToken: () => {}, fetch: recorder.fetch });
    await session.getToken({ tenant: 'acme' });
    // Someone replays the spent refresh token: Gatehouse revokes the whole grant.
    const replay = await postForm(gatehouse.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken! }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    assert.equal(replay.json?.error, 'invalid_grant');

    await assert.rejects(session.getToken({ tenant: 'acme', scope: 'documents:read' }), (error: unknown) => {
      assert.ok(error instanceof SessionEndedError);
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
    assert.equal(session.ended, true);
    const requests = recorder.tokenRequests().length;
    await assert.rejects(session.getToken({ tenant: 'acme' }), SessionEndedError, 'cached tokens are forgotten too');
    await assert.rejects(session.getToken({ tenant: 'globex' }), SessionEndedError);
    assert.equal(recorder.tokenRequests().length, requests, 'no request after the end');
  });

  it('when onRefreshToken throws, the caller gets a RefreshTokenPersistenceError and the next call persists the newest token first', async () => {
    const tokens = await signInAndExchange(app, ['acme', 'globex']);
    const recorder = recordingFetch(gatehouse.tokenEndpoint);
    const offered: string[] = [];
    let storageDown = true;
    const session = refreshSession({
      issuer: gatehouse.issuer,
      ...app,
      refreshToken: tokens.refreshToken!,
      fetch: recorder.fetch,
      onRefreshToken: async (token) => {
        offered.push(token);
        if (storageDown) throw new Error('the database is down');
      },
    });
    await assert.rejects(session.getToken({ tenant: 'globex' }), RefreshTokenPersistenceError);
    assert.equal(offered.length, 1);
    assert.equal(recorder.tokenRequests().length, 1);

    await assert.rejects(session.getToken({ tenant: 'globex' }), RefreshTokenPersistenceError, 'nothing is handed out until the token is persisted');
    storageDown = false;
    const token = await session.getToken({ tenant: 'globex' });
    assert.equal(jwtPayload(token).tenant, 'globex');
    assert.deepEqual(offered, [offered[0], offered[0], offered[0]], 'the same (newest) token was offered again');
    assert.equal(recorder.tokenRequests().length, 1, 'the access token of that refresh was kept, not fetched again');

    await session.getToken({ tenant: 'acme' });
    assert.equal(recorder.tokenRequests()[1]!.form!.get('refresh_token'), offered[0], 'the session went on with the token it held');
  });

  for (const withGrace of [true, false]) {
    it(`a refresh whose answer is lost is retried with the same token: ${withGrace ? 'within the client\'s refresh grace window it succeeds' : 'without a grace window Gatehouse sees a reuse and the session ends'}`, async () => {
      const client = withGrace ? graceApp : app;
      const tokens = await signInAndExchange(client, ['acme']);
      let lose = 1;
      // The first refresh reaches Gatehouse (which rotates), but its answer never arrives.
      const front = await startFront(gatehouse.server.url, async (request, body, response) => {
        if (request.url !== '/oauth/token' || lose-- <= 0) return false;
        await fetch(`${gatehouse.server.url}/oauth/token`, { method: 'POST', headers: { 'content-type': request.headers['content-type']!, authorization: request.headers.authorization! }, body }).then((answered) => answered.arrayBuffer());
        response.socket?.destroy();
        return true;
      });
      try {
        const persisted: string[] = [];
        const waits = recordingSleep();
        const session = refreshSession({
          tokenEndpoint: `${front.url}/oauth/token`,
          ...client,
          refreshToken: tokens.refreshToken!,
          onRefreshToken: (token) => void persisted.push(token),
          sleep: waits.sleep,
        });
        if (withGrace) {
          const token = await session.getToken({ tenant: 'acme' });
          assert.equal(jwtPayload(token).tenant, 'acme');
          assert.equal(front.requests.length, 2, 'the lost request and its retry');
          assert.equal(persisted.length, 1);
          assert.equal(await isActive(token), true);
          // The session goes on with the token of the retry.
          await session.getToken({ tenant: 'acme', scope: 'documents:read' });
          assert.equal(persisted.length, 2);
        } else {
          await assert.rejects(session.getToken({ tenant: 'acme' }), { name: 'SessionEndedError', error: 'invalid_grant' });
          assert.equal(front.requests.length, 2);
          assert.equal(persisted.length, 0);
        }
      } finally {
        await front.close();
      }
    });
  }
});

describe('validateCallback against a real Gatehouse', () => {
  let gatehouse: RealGatehouse;
  let app: { clientId: string; clientSecret: string };

  before(async () => {
    gatehouse = await startGatehouse();
    app = await gatehouse.createClient({ args: ['--grant-type', 'authorization_code', '--redirect-uri', REDIRECT_URI] });
    await gatehouse.cli(['user', 'create', '--tenant', 'acme', '--username', 'dora', '--password-stdin'], `${PASSWORD}\n`);
  });
  after(() => gatehouse?.close());

  const callbackError = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('the callback must be refused'),
      (error: unknown) => {
        assert.ok(error instanceof CallbackError, String(error));
        return error;
      },
    );

  it('a user who denies: a CallbackError carrying access_denied (after iss and state are checked)', async () => {
    const request = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: app.clientId, redirectUri: REDIRECT_URI });
    const { callback } = await signIn(request.url, { username: 'dora', password: PASSWORD }, { tenants: [], decision: 'deny' });
    const error = await callbackError(validateCallback(callback, { state: request.state, issuer: gatehouse.issuer }));
    assert.equal(error.reason, 'error_response');
    assert.equal(error.error, 'access_denied');
    assert.equal(error.errorDescription, 'the user denied the request');

    // The same error with another state is not believed: it may be an attacker's.
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    assert.equal((await callbackError(validateCallback(forged, { state: request.state, issuer: gatehouse.issuer }))).reason, 'state_mismatch');
  });

  it('an error Gatehouse sends straight back (a scope the client may not ask for) carries its code and description', async () => {
    const request = await createAuthorizationRequest({ issuer: gatehouse.issuer, clientId: app.clientId, redirectUri: REDIRECT_URI, scope: 'documents:delete' });
    const { callback } = await signIn(request.url, { username: 'dora', password: PASSWORD }, { tenants: [] });
    const error = await callbackError(validateCallback(callback, { state: request.state, issuer: gatehouse.issuer }));
    assert.equal(error.reason, 'error_response');
    assert.equal(error.error, 'invalid_scope');
    assert.match(error.message, /invalid_scope/);
  });

  it('refuses a state mismatch, a missing state, an iss mismatch (checked first) and a missing iss when the metadata promises one', async () => {
    const good = `${REDIRECT_URI}?code=abc&state=s1&iss=${encodeURIComponent(gatehouse.issuer)}`;
    assert.equal(await validateCallback(good, { state: 's1', issuer: gatehouse.issuer }), 'abc');
    assert.equal(await validateCallback(good.slice(new URL(REDIRECT_URI).origin.length), { state: 's1', issuer: gatehouse.issuer }), 'abc', 'relative, as the server saw it');
    const reason = async (url: string, options: { requireIss?: boolean } = {}) => (await callbackError(validateCallback(url, { state: 's1', issuer: gatehouse.issuer, ...options }))).reason;

    assert.equal(await reason(good.replace('state=s1', 'state=s2')), 'state_mismatch');
    assert.equal(await reason(good.replace('&state=s1', '')), 'state_mismatch');
    assert.equal(await reason(`${REDIRECT_URI}?code=abc&state=s2&iss=https%3A%2F%2Fevil.example`), 'iss_mismatch', 'iss is checked before anything else');
    assert.equal(await reason(`${good}&iss=https%3A%2F%2Fevil.example`), 'iss_mismatch', 'two iss values');
    assert.equal(await reason(good.replace(encodeURIComponent(gatehouse.issuer), encodeURIComponent(`${gatehouse.issuer}/`))), 'iss_mismatch', 'compared exactly (RFC 9207 §2.4)');
    // Gatehouse's metadata says authorization_response_iss_parameter_supported: a callback without iss is refused.
    assert.equal(await reason(`${REDIRECT_URI}?code=abc&state=s1`), 'iss_missing');
    assert.equal(await validateCallback(`${REDIRECT_URI}?code=abc&state=s1`, { state: 's1', issuer: gatehouse.issuer, requireIss: false }), 'abc');
    assert.equal(await reason(`${REDIRECT_URI}?state=s1&iss=${encodeURIComponent(gatehouse.issuer)}`), 'missing_code');
  });
});
