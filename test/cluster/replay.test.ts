/**
 * Issue 15, cluster guarantees: single-use credentials stay single-use across two
 * `gatehouse serve` processes on one PostgreSQL. An authorization code redeemed on both
 * at once succeeds at most once, and a replay kills whatever the code issued (RFC 6749
 * §4.1.2, RFC 9700 §4.2.4 on one process: see test/server/authorization-code-grant.test.ts);
 * a refresh token used on both at once is rotated once, and reuse detection revokes the
 * family (RFC 9700 §4.14.2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpResult } from '../helpers/http.js';
import { issueCode, REDIRECT_URI } from '../helpers/user-delegation.js';
import { assertLogsHoldNone, post, introspect, SKIP_CLUSTER, startCluster, within, type Cluster, type Credentials } from './cluster.js';

const ROUNDS = 8;

function assertNo5xx(responses: HttpResult[]): void {
  for (const response of responses) assert.ok(response.status < 500, `a 5xx: ${response.status} ${response.text}`);
}

function assertInvalidGrant(response: HttpResult): void {
  assert.equal(response.status, 400, response.text);
  assert.equal(response.json?.error, 'invalid_grant', response.text);
}

describe('two gatehouse serve processes on one PostgreSQL: codes and refresh tokens are single use', { skip: SKIP_CLUSTER }, () => {
  let cluster: Cluster;
  let app: Credentials;
  let graceful: Credentials;
  let auditor: Credentials;
  let userId: string;

  before(async () => {
    cluster = await startCluster();
    const { admin } = cluster.operator;
    await admin.tenants.create({ slug: 'acme' });
    const withRefresh = { tenant: 'acme', scope: 'documents:read', defaultScope: 'documents:read', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] };
    const created = await admin.clients.create({ name: 'Signing app', ...withRefresh });
    app = { clientId: created.client.id, secret: created.secret! };
    used.push(created.secret!);
    const mobile = await admin.clients.create({ name: 'Mobile app', ...withRefresh, refreshGraceSeconds: 30 });
    graceful = { clientId: mobile.client.id, secret: mobile.secret! };
    const introspector = await admin.clients.create({ name: 'Auditor', tenant: 'acme', scope: 'documents:read' });
    auditor = { clientId: introspector.client.id, secret: introspector.secret! };
    userId = (await admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' })).id;
  });
  after(() => cluster?.close());

  /** Every secret, code and token used: none may reach a log. */
  const used: string[] = [];
  const A = () => cluster.servers[0]!;
  const B = () => cluster.servers[1]!;

  const remember = (response: HttpResult) => {
    for (const name of ['access_token', 'refresh_token']) if (typeof response.json?.[name] === 'string') used.push(response.json[name] as string);
    return response;
  };
  const exchange = (server: typeof cluster.servers[number], client: Credentials, code: string, verifier: string) => {
    used.push(code, verifier);
    return post(server, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, client).then(remember);
  };
  const refresh = (server: typeof cluster.servers[number], client: Credentials, token: string) =>
    post(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token }, client).then(remember);

  /** A code exchanged on A: the token pair it issued. */
  async function authorize(client: Credentials): Promise<{ access_token: string; refresh_token: string }> {
    const { code, verifier } = await issueCode(cluster.operator, { clientId: client.clientId, userId });
    const response = await exchange(A(), client, code, verifier!);
    assert.equal(response.status, 200, response.text);
    return response.json as { access_token: string; refresh_token: string };
  }

  /** Every process reports `{"active":false}` for `token` (within a second: the revocation feed). */
  async function deadEverywhere(token: string, what: string): Promise<void> {
    for (const server of [A(), B()]) {
      await within(`${what} inactive on ${server.url}`, 2000, async () => (await introspect(server, auditor, token)).active === false);
      assert.deepEqual(await introspect(server, auditor, token), { active: false });
    }
  }

  it('a code redeemed twice on A and twice on B at the same moment succeeds at most once, never 5xx; the replay revokes what it issued', async () => {
    let successes = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const { code, verifier } = await issueCode(cluster.operator, { clientId: app.clientId, userId });
      const responses = await Promise.all([A(), B(), A(), B()].map((server) => exchange(server, app, code, verifier!)));
      assertNo5xx(responses);
      const won = responses.filter((response) => response.status === 200);
      assert.ok(won.length <= 1, `round ${round}: the code was redeemed ${won.length} times`);
      for (const lost of responses.filter((response) => response.status !== 200)) assertInvalidGrant(lost);
      if (won.length === 0) continue;
      successes += 1;
      // The other exchange was a replay: the tokens the code issued must be dead.
      const pair = won[0]!.json as { access_token: string; refresh_token: string };
      await deadEverywhere(pair.access_token, `round ${round}: the access token issued from a replayed code`);
      for (const server of [A(), B()]) assertInvalidGrant(await refresh(server, app, pair.refresh_token));
      // And the code stays spent.
      assertInvalidGrant(await exchange(B(), app, code, verifier!));
    }
    assert.ok(successes >= 1, 'at least one round had a winner (else nothing was tested)');
  });

  it('a code replayed later on the other process revokes the tokens the first redemption issued', async () => {
    const { code, verifier } = await issueCode(cluster.operator, { clientId: app.clientId, userId });
    const first = await exchange(A(), app, code, verifier!);
    assert.equal(first.status, 200, first.text);
    const pair = first.json as { access_token: string; refresh_token: string };
    assert.equal((await introspect(B(), auditor, pair.access_token)).active, true);
    assertInvalidGrant(await exchange(B(), app, code, verifier!));
    await deadEverywhere(pair.access_token, 'the access token of a replayed code');
    assertInvalidGrant(await refresh(A(), app, pair.refresh_token));
  });

  it('a refresh token used twice on A and twice on B at the same moment is rotated exactly once, never 5xx; the reuse revokes the family', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const first = await authorize(app);
      // Two uses on each process at once: contention inside a process and between them.
      const responses = await Promise.all([A(), B(), A(), B()].map((server) => refresh(server, app, first.refresh_token)));
      assertNo5xx(responses);
      const won = responses.filter((response) => response.status === 200);
      assert.equal(won.length, 1, `round ${round}: ${won.length} successes (${responses.map((response) => response.status).join(', ')})`);
      for (const lost of responses.filter((response) => response.status !== 200)) assertInvalidGrant(lost);
      // The loser presented a rotated token: reuse. The family is revoked, the winner's successor included.
      const successor = won[0]!.json as { access_token: string; refresh_token: string };
      for (const server of [A(), B()]) assertInvalidGrant(await refresh(server, app, successor.refresh_token));
      await deadEverywhere(successor.access_token, `round ${round}: the access token of the rotated family`);
      await deadEverywhere(first.access_token, `round ${round}: the family's first access token`);
    }
  });

  it('with a grace window, concurrent uses on A and B both succeed at most within the family, never 5xx, and later reuse still revokes it', async () => {
    const first = await authorize(graceful);
    const responses = await Promise.all([refresh(A(), graceful, first.refresh_token), refresh(B(), graceful, first.refresh_token)]);
    assertNo5xx(responses);
    const won = responses.filter((response) => response.status === 200);
    assert.ok(won.length >= 1, `no success within the grace window: ${responses.map((response) => `${response.status} ${response.text}`).join('; ')}`);
    assert.ok(won.length <= 2);
    const successors = won.map((response) => response.json as { access_token: string; refresh_token: string; scope: string });
    // Each success continues the one family: the newest works, and once its successor is
    // used, presenting it again is reuse, which revokes the family on every process.
    const newest = successors.at(-1)!;
    const next = await refresh(A(), graceful, newest.refresh_token);
    assert.equal(next.status, 200, next.text);
    const afterNext = await refresh(B(), graceful, (next.json as { refresh_token: string }).refresh_token);
    assert.equal(afterNext.status, 200, afterNext.text);
    assertInvalidGrant(await refresh(A(), graceful, newest.refresh_token));
    const last = afterNext.json as { access_token: string; refresh_token: string };
    assertInvalidGrant(await refresh(B(), graceful, last.refresh_token));
    await deadEverywhere(last.access_token, 'the access token of a family revoked by reuse');
  });

  it('the logs of both processes hold none of the secrets, codes and tokens used', () => {
    assertLogsHoldNone(cluster, used);
  });
});
