/**
 * PKCE downgrade and verifier syntax, codes bound to their client, cross-client revocation,
 * refresh token reuse and concurrent refresh (issue 16, "The suite"), driven through the
 * authorization endpoint's pages and the token endpoint.
 *
 * - RFC 9700 §2.1.1 / RFC 7636 §4.6: a public client must send an S256 challenge; `plain`
 *   is refused; a code issued with a challenge needs its verifier, and a verifier sent for a
 *   code issued without one is refused (an attacker who strips the challenge from the
 *   authorization request gains nothing). A confidential client may still go without PKCE.
 * - RFC 7636 §4.1: a verifier is 43–128 unreserved characters; anything else is a malformed
 *   request (`invalid_request`), checked before the code is looked at, so it spends nothing.
 * - RFC 6749 §4.1.3: the code was issued to the authenticated client.
 * - RFC 7009 §2.1: a client may revoke only its own tokens; another client's survive.
 * - RFC 9700 §4.14.2: a refresh token is used once; of concurrent uses exactly one wins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { authorizeThroughPages } from '../helpers/authorize-pages.js';
import { createClient, createTestGatehouse, introspect, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, pkceChallenge, pkcePair } from '../helpers/tokens.js';
import { exchangeCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
const verifierOf = (length: number, offset = 0) => Array.from({ length }, (_, i) => UNRESERVED[(i + offset) % UNRESERVED.length]).join('');

describe('PKCE, code binding, cross-client revocation and refresh races', () => {
  let t: TestGatehouse;
  let a: TestClient;
  let b: TestClient;
  let noGrace: TestClient;
  let grace: TestClient;
  let publicClient: { clientId: string };

  before(async () => {
    t = await createTestGatehouse();
    const grantTypes = ['authorization_code', 'refresh_token'];
    a = await createClient(t.gatehouse, { tenant: 'acme', grantTypes, redirectUris: [REDIRECT_URI] });
    b = await createClient(t.gatehouse, { tenant: 'acme', grantTypes, redirectUris: [REDIRECT_URI] });
    noGrace = await createClient(t.gatehouse, { tenant: 'acme', grantTypes, redirectUris: [REDIRECT_URI], refreshGraceSeconds: 0 });
    grace = await createClient(t.gatehouse, { tenant: 'acme', grantTypes, redirectUris: [REDIRECT_URI], refreshGraceSeconds: 120 });
    const created = await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'Desktop', isPublic: true, grantTypes, redirectUris: [REDIRECT_URI], scope: 'documents:read' });
    publicClient = { clientId: created.client.id };
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
  });
  after(() => t?.close());

  const baseQuery = (clientId: string) => ({ client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 's1' });
  const authorize = (query: Record<string, string>) => t.app.inject({ method: 'GET', url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', ...query })}` });

  /** A code through the pages; `challenge` null: no PKCE. */
  async function codeFor(clientId: string, challenge: string | null): Promise<string> {
    const pkce: Record<string, string> = challenge === null ? {} : { code_challenge: challenge, code_challenge_method: 'S256' };
    const { location } = await authorizeThroughPages(t.app, { query: { ...baseQuery(clientId), ...pkce }, username: 'alice', password: PASSWORD });
    const code = location.searchParams.get('code');
    assert.ok(code, location.href);
    return code;
  }

  function assertError(response: LightMyRequestResponse, error: string, what = ''): void {
    assert.equal(response.statusCode, error === 'invalid_client' ? 401 : 400, `${what} ${response.body}`);
    assert.equal((response.json() as { error: string }).error, error, what);
  }

  /** The authorization endpoint sends the error to the (verified) redirect URI, with the state. */
  function assertRedirectedError(response: LightMyRequestResponse, error: string): void {
    assert.equal(response.statusCode, 302, response.body.slice(0, 200));
    const location = new URL(String(response.headers.location));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), error);
    assert.equal(location.searchParams.get('state'), 's1');
    assert.equal(location.searchParams.get('code'), null);
  }

  describe('downgrade at /oauth/authorize', () => {
    it('refuses a public client without code_challenge (RFC 9700 §2.1.1)', async () => {
      assertRedirectedError(await authorize(baseQuery(publicClient.clientId)), 'invalid_request');
    });

    it('refuses the plain method, for a public and a confidential client, and a challenge without a method (plain by default, RFC 7636 §4.3)', async () => {
      const verifier = verifierOf(43);
      for (const clientId of [publicClient.clientId, a.clientId]) {
        assertRedirectedError(await authorize({ ...baseQuery(clientId), code_challenge: verifier, code_challenge_method: 'plain' }), 'invalid_request');
        assertRedirectedError(await authorize({ ...baseQuery(clientId), code_challenge: verifier }), 'invalid_request');
        assertRedirectedError(await authorize({ ...baseQuery(clientId), code_challenge: pkceChallenge(verifier), code_challenge_method: 's256' }), 'invalid_request');
      }
    });

    it('refuses a malformed S256 challenge and a method without a challenge', async () => {
      for (const challenge of [pkceChallenge(verifierOf(43)).slice(0, 42), `${pkceChallenge(verifierOf(43))}A`, `${pkceChallenge(verifierOf(43)).slice(0, 42)}=`, '+'.repeat(43)]) {
        assertRedirectedError(await authorize({ ...baseQuery(a.clientId), code_challenge: challenge, code_challenge_method: 'S256' }), 'invalid_request');
      }
      assertRedirectedError(await authorize({ ...baseQuery(a.clientId), code_challenge_method: 'S256' }), 'invalid_request');
    });

    it('lets a confidential client go without PKCE (the login page shows)', async () => {
      const response = await authorize(baseQuery(a.clientId));
      assert.equal(response.statusCode, 200, response.body.slice(0, 200));
    });
  });

  describe('downgrade at /oauth/token', () => {
    it('a code issued with a challenge needs the verifier; the failed attempts spend nothing', async () => {
      for (const client of [a, publicClient]) {
        const { verifier, challenge } = pkcePair();
        const code = await codeFor(client.clientId, challenge);
        assertError(await exchangeCode(t.app, client, code), 'invalid_grant', 'no verifier');
        assertError(await exchangeCode(t.app, client, code, { code_verifier: verifierOf(43) }), 'invalid_grant', 'wrong verifier');
        assertError(await exchangeCode(t.app, client, code, { code_verifier: challenge }), 'invalid_grant', 'the challenge as verifier (plain)');
        const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
        assert.equal(response.statusCode, 200, response.body);
      }
    });

    it('a verifier sent for a code issued without a challenge is refused (RFC 9700 §4.8.2)', async () => {
      const code = await codeFor(a.clientId, null);
      assertError(await exchangeCode(t.app, a, code, { code_verifier: verifierOf(43) }), 'invalid_grant');
      assert.equal((await exchangeCode(t.app, a, code)).statusCode, 200);
    });
  });

  describe('verifier syntax (RFC 7636 §4.1)', () => {
    it('42 and 129 characters and illegal characters are malformed requests; 43 and 128 are judged on their value', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(a.clientId, challenge);
      const malformed: [string, string][] = [
        ['42 characters', verifierOf(42)],
        ['129 characters', verifierOf(129)],
        ['the right verifier plus one character', `${verifier}${verifierOf(86)}`],
        ['a plus', `${verifierOf(42)}+`],
        ['a slash', `${verifierOf(42)}/`],
        ['padding', `${verifierOf(42)}=`],
        ['a space', `${verifierOf(21)} ${verifierOf(21)}`],
        ['a percent', `${verifierOf(42)}%`],
        ['a non-ASCII letter', `${verifierOf(42)}é`],
        ['a NUL', `${verifierOf(42)}\u0000`],
      ];
      for (const [name, value] of malformed) assertError(await exchangeCode(t.app, a, code, { code_verifier: value }), 'invalid_request', name);
      for (const value of [verifierOf(43, 7), verifierOf(128, 3)]) assertError(await exchangeCode(t.app, a, code, { code_verifier: value }), 'invalid_grant', `${value.length} characters`);
      assert.equal((await exchangeCode(t.app, a, code, { code_verifier: verifier })).statusCode, 200);
    });

    it('a 128-character verifier made of every unreserved character works', async () => {
      const verifier = verifierOf(128, 11);
      assert.match(verifier, /[-._~]/);
      const code = await codeFor(a.clientId, pkceChallenge(verifier));
      assert.equal((await exchangeCode(t.app, a, code, { code_verifier: verifier })).statusCode, 200);
    });
  });

  describe('a code is bound to its client (RFC 6749 §4.1.3)', () => {
    it("client B presenting client A's code, with the right verifier, is refused; A then redeems it", async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(a.clientId, challenge);
      assertError(await exchangeCode(t.app, b, code, { code_verifier: verifier }), 'invalid_grant', 'confidential B');
      assertError(await exchangeCode(t.app, publicClient, code, { code_verifier: verifier }), 'invalid_grant', 'public client');
      // A's client_id with no or wrong credentials is not A.
      assertError(await exchangeCode(t.app, { clientId: a.clientId }, code, { code_verifier: verifier }), 'invalid_client', 'no credentials');
      assertError(await exchangeCode(t.app, { ...a, secret: `${a.secret}x` }, code, { code_verifier: verifier }), 'invalid_client', 'wrong secret');
      assert.equal((await exchangeCode(t.app, a, code, { code_verifier: verifier })).statusCode, 200);
    });
  });

  async function tokensFor(client: TestClient): Promise<TokenPair> {
    const { verifier, challenge } = pkcePair();
    const response = await exchangeCode(t.app, client, await codeFor(client.clientId, challenge), { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as TokenPair;
  }

  describe('cross-client revocation (RFC 7009 §2.1)', () => {
    it("client B revoking client A's access and refresh tokens is refused, and they survive", async () => {
      const tokens = await tokensFor(a);
      for (const [token, hint] of [
        [tokens.access_token, 'access_token'],
        [tokens.refresh_token, 'refresh_token'],
        [tokens.refresh_token, 'access_token'],
        [tokens.access_token, 'refresh_token'],
      ] as const) {
        const response = await postForm(t.app, '/oauth/revoke', { token, token_type_hint: hint }, { authorization: basicAuth(b.clientId, b.secret) });
        assertError(response, 'unauthorized_client', hint);
      }
      const byPublic = await postForm(t.app, '/oauth/revoke', { token: tokens.refresh_token, client_id: publicClient.clientId });
      assertError(byPublic, 'unauthorized_client', 'public client');
      assert.equal((await introspect(t.app, a, tokens.access_token)).active, true);
      const refreshed = await refresh(t.app, a, tokens.refresh_token);
      assert.equal(refreshed.statusCode, 200, refreshed.body);
    });
  });

  describe('refresh token reuse and concurrent refresh (RFC 9700 §4.14.2)', () => {
    it('a used refresh token is refused, and its reuse revokes the family', async () => {
      const tokens = await tokensFor(noGrace);
      const first = await refresh(t.app, noGrace, tokens.refresh_token);
      assert.equal(first.statusCode, 200, first.body);
      const next = first.json() as TokenPair;
      assertError(await refresh(t.app, noGrace, tokens.refresh_token), 'invalid_grant', 'reuse');
      assertError(await refresh(t.app, noGrace, next.refresh_token), 'invalid_grant', 'the successor after reuse');
      assert.equal((await introspect(t.app, noGrace, next.access_token)).active, false);
    });

    const concurrentRefresh = async (client: TestClient) => {
      const tokens = await tokensFor(client);
      const responses: LightMyRequestResponse[] = await Promise.all(Array.from({ length: 10 }, () => refresh(t.app, client, tokens.refresh_token)));
      for (const response of responses) assert.ok(response.statusCode === 200 || response.statusCode === 400, `${response.statusCode} ${response.body}`);
      for (const response of responses) if (response.statusCode === 400) assert.equal((response.json() as { error: string }).error, 'invalid_grant');
      assert.equal(responses.filter((response) => response.statusCode === 200).length, 1, responses.map((response) => response.statusCode).join(' '));
    };

    it('ten concurrent refreshes with one token on one process: exactly one succeeds (no grace period, the default)', async () => {
      await concurrentRefresh(noGrace);
    });

    // With a grace period a rotated token presented again soon is taken for a client that lost
    // the response (the client's refreshGraceSeconds): the first loser of the race may get a
    // second pair; no more than that, and never a 5xx (RFC 9700 §4.14.2).
    it('ten concurrent refreshes with one token on one process, a grace period of two minutes: at most two succeed, the rest are invalid_grant', async () => {
      const tokens = await tokensFor(grace);
      const responses: LightMyRequestResponse[] = await Promise.all(Array.from({ length: 10 }, () => refresh(t.app, grace, tokens.refresh_token)));
      for (const response of responses) assert.ok(response.statusCode === 200 || response.statusCode === 400, `${response.statusCode} ${response.body}`);
      for (const response of responses) if (response.statusCode === 400) assert.equal((response.json() as { error: string }).error, 'invalid_grant');
      const successes = responses.filter((response) => response.statusCode === 200).length;
      assert.ok(successes >= 1 && successes <= 2, responses.map((response) => response.statusCode).join(' '));
    });
  });
});
