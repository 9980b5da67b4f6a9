import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RevocationFollower } from '../../packages/resource/src/index.js';
import { createClient, createTestGatehouse, introspect, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';

const assertError = (response: { statusCode: number; json(): unknown }, error: string, status = 400) => {
  assert.equal(response.statusCode, status, JSON.stringify(response.json()));
  assert.equal((response.json() as { error: string }).error, error);
};

const withRefresh = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] };

/** A user of acme and globex, and a code exchange of `client` for them. */
async function setUp(t: TestGatehouse) {
  await t.gatehouse.admin.tenants.create({ slug: 'globex' });
  const user = await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' });
  await t.gatehouse.admin.users.addToTenant('alice', 'globex');
  const authorize = async (client: TestClient): Promise<TokenPair> => {
    const { code, verifier } = await issueCode(t.gatehouse, {
      clientId: client.clientId,
      userId: user.id,
      scope: ['documents:read', 'documents:write'],
      tenants: ['acme', 'globex'],
    });
    const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as TokenPair;
  };
  return { userId: user.id, authorize };
}

describe('POST /oauth/token grant_type=refresh_token (RFC 6749 §6, RFC 9700 §4.14)', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let other: TestClient;
  let graceful: TestClient;
  let rs: TestClient;
  let authorize: (client: TestClient) => Promise<TokenPair>;

  before(async () => {
    t = await createTestGatehouse();
    app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Signing app', ...withRefresh });
    other = await createClient(t.gatehouse, { tenant: 'acme', name: 'Other app', ...withRefresh });
    graceful = await createClient(t.gatehouse, { tenant: 'acme', name: 'Mobile app', ...withRefresh, refreshGraceSeconds: 30 });
    rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
    ({ authorize } = await setUp(t));
  });
  after(() => t.close());

  it('rotates the refresh token on every use', async () => {
    const first = await authorize(app);
    const response = await refresh(t.app, app, first.refresh_token);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const second = response.json() as TokenPair;
    assert.match(second.refresh_token, /^gatehouse_rt_/);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(second.scope, 'documents:read documents:write');
    assert.equal(jwtPayload(second.access_token).grant_id, jwtPayload(first.access_token).grant_id);
    const third = await refresh(t.app, app, second.refresh_token);
    assert.equal(third.statusCode, 200, third.body);
  });

  it('revokes the whole family when a rotated refresh token is presented again', async () => {
    const first = await authorize(app);
    const second = (await refresh(t.app, app, first.refresh_token)).json() as TokenPair;
    const reuse = await refresh(t.app, app, first.refresh_token);
    assertError(reuse, 'invalid_grant');
    assert.match((reuse.json() as { error_description: string }).error_description, /already used/);
    assertError(await refresh(t.app, app, second.refresh_token), 'invalid_grant');
    assert.deepEqual(await introspect(t.app, other, first.access_token), { active: false });
    assert.deepEqual(await introspect(t.app, other, second.access_token), { active: false });
  });

  it('within the grace window, gives a client that lost the response a working token of the same family', async () => {
    const first = await authorize(graceful);
    const lost = (await refresh(t.app, graceful, first.refresh_token)).json() as TokenPair;
    const retried = await refresh(t.app, graceful, first.refresh_token);
    assert.equal(retried.statusCode, 200, retried.body);
    const recovered = retried.json() as TokenPair;
    assert.notEqual(recovered.refresh_token, lost.refresh_token);
    assert.equal(jwtPayload(recovered.access_token).grant_id, jwtPayload(first.access_token).grant_id);
    assert.equal((await introspect(t.app, other, first.access_token)).active, true, 'no revocation');
    const next = await refresh(t.app, graceful, recovered.refresh_token);
    assert.equal(next.statusCode, 200, next.body);
    // The successor that was "lost" has been spent: presenting it now is reuse.
    assertError(await refresh(t.app, graceful, lost.refresh_token), 'invalid_grant');
    assertError(await refresh(t.app, graceful, (next.json() as TokenPair).refresh_token), 'invalid_grant');
  });

  it('accepts a narrower scope and refuses a wider one without spending the token', async () => {
    const first = await authorize(app);
    assertError(await refresh(t.app, app, first.refresh_token, { scope: 'documents:read admin' }), 'invalid_scope');
    const narrower = await refresh(t.app, app, first.refresh_token, { scope: 'documents:read' });
    assert.equal(narrower.statusCode, 200, narrower.body);
    const body = narrower.json() as TokenPair;
    assert.equal(body.scope, 'documents:read');
    assert.equal(jwtPayload(body.access_token).scope, 'documents:read');
    // The grant keeps the original scope: the next refresh may ask for it all again.
    const full = await refresh(t.app, app, body.refresh_token);
    assert.equal((full.json() as TokenPair).scope, 'documents:read documents:write');
  });

  it('mints a token for a granted tenant, and refuses another with invalid_target without spending the token', async () => {
    const first = await authorize(app);
    const refused = await refresh(t.app, app, first.refresh_token, { tenant: 'initech' });
    assertError(refused, 'invalid_target');
    assert.match((refused.json() as { error_description: string }).error_description, /tenant named by the tenant parameter \(granted: acme, globex\)/);
    const globex = await refresh(t.app, app, first.refresh_token, { tenant: 'globex' });
    assert.equal(globex.statusCode, 200, globex.body);
    assert.equal(jwtPayload((globex.json() as TokenPair).access_token).tenant, 'globex');
    const none = await refresh(t.app, app, (globex.json() as TokenPair).refresh_token);
    assert.equal(jwtPayload((none.json() as TokenPair).access_token).tenant, undefined);
  });

  it('refuses a refresh token presented by another client, which stays usable by its own', async () => {
    const first = await authorize(app);
    assertError(await refresh(t.app, other, first.refresh_token), 'invalid_grant');
    assert.equal((await refresh(t.app, app, first.refresh_token)).statusCode, 200);
  });

  it('refuses unknown and malformed refresh tokens', async () => {
    assertError(await refresh(t.app, app, 'gatehouse_rt_unknown'), 'invalid_grant');
    assertError(await refresh(t.app, app, 'x'.repeat(5000)), 'invalid_grant');
  });

  describe('RFC 7009 revocation of a refresh token', () => {
    const revoke = (client: TestClient, token: string, hint?: string) =>
      postForm(t.app, '/oauth/revoke', { token, ...(hint ? { token_type_hint: hint } : {}) }, { authorization: basicAuth(client.clientId, client.secret) });

    for (const hint of ['refresh_token', 'access_token', undefined]) {
      it(`revokes the whole family (token_type_hint ${hint ?? 'absent'})`, async () => {
        const first = await authorize(app);
        const second = (await refresh(t.app, app, first.refresh_token)).json() as TokenPair;
        assert.equal((await revoke(app, second.refresh_token, hint)).statusCode, 200);
        assertError(await refresh(t.app, app, second.refresh_token), 'invalid_grant');
        assert.deepEqual(await introspect(t.app, other, first.access_token), { active: false });
        assert.deepEqual(await introspect(t.app, other, second.access_token), { active: false });
      });
    }

    it('refuses to revoke another client\'s refresh token', async () => {
      const first = await authorize(app);
      assertError(await revoke(other, first.refresh_token), 'unauthorized_client');
      assert.equal((await refresh(t.app, app, first.refresh_token)).statusCode, 200);
    });

    it('revokes only the jti of an access token of a grant', async () => {
      const first = await authorize(app);
      assert.equal((await revoke(app, first.access_token)).statusCode, 200);
      assert.deepEqual(await introspect(t.app, other, first.access_token), { active: false });
      const next = await refresh(t.app, app, first.refresh_token);
      assert.equal(next.statusCode, 200, next.body);
      assert.equal((await introspect(t.app, other, (next.json() as TokenPair).access_token)).active, true);
    });

    it('lists the revoked grant in the revocation feed, so @gatehouse-auth/resource rejects the family\'s access tokens', async () => {
      const follower = new RevocationFollower({
        source: {
          fetchChanges: async (since) => {
            const response = await t.app.inject({ method: 'GET', url: `/oauth/revocations?since=${since}`, headers: { authorization: basicAuth(rs.clientId, rs.secret) } });
            assert.equal(response.statusCode, 200, response.body);
            return response.json();
          },
        },
      });
      await follower.poll();
      const first = await authorize(app);
      const claims = jwtPayload(first.access_token) as { client_id: string; client_epoch: number; jti: string; grant_id: string };
      const kid = jwtHeader(first.access_token).kid as string;
      assert.equal(follower.isRevoked(claims, kid), false);
      const before = follower.revision;
      assert.equal((await revoke(app, first.refresh_token)).statusCode, 200);
      await follower.poll();
      assert.ok(follower.revision > before);
      assert.equal(follower.isRevoked(claims, kid), true);
      const feed = await t.app.inject({ method: 'GET', url: `/oauth/revocations?since=${before}`, headers: { authorization: basicAuth(rs.clientId, rs.secret) } });
      assert.deepEqual((feed.json() as { grants: string[] }).grants, [claims.grant_id]);
    });
  });
});

for (const target of STORAGE_TARGETS) {
  describe(`concurrent refreshes of one refresh token (${target.name})`, { skip: target.skip }, () => {
    let t: TestGatehouse;
    let cleanup: () => Promise<void>;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-refresh-'));
      const database = await target.create(dir);
      cleanup = database.cleanup;
      t = await createTestGatehouse({ databaseUrl: database.url });
    });
    after(async () => {
      await t.close();
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('exactly one of 20 concurrent refreshes succeeds (grace 0), the others are invalid_grant, never a 500', async () => {
      const app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Racy app', ...withRefresh });
      const { authorize } = await setUp(t);
      const first = await authorize(app);
      const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(t.app, app, first.refresh_token)));
      const statuses = responses.map((response) => response.statusCode).sort();
      assert.deepEqual(statuses, [200, ...Array<number>(19).fill(400)], responses.map((response) => response.body).join('\n'));
      for (const response of responses.filter((r) => r.statusCode === 400)) assert.equal((response.json() as { error: string }).error, 'invalid_grant');
      // The losers presented a rotated token: reuse, so the family is revoked.
      const winner = responses.find((response) => response.statusCode === 200)!.json() as TokenPair;
      assertError(await refresh(t.app, app, winner.refresh_token), 'invalid_grant');
    });
  });
}
