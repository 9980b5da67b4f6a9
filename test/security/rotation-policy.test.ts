/**
 * Issue 16 (Low), the rotation policy: a secret rotation without grace revokes the
 * client's access tokens at once; its refresh tokens survive, because they cannot be used
 * without the new secret. Introspection and the token endpoint agree with it, and the CLI
 * help and the dashboard's rotate dialog say so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/in-process.js';
import { signInToDashboard } from '../helpers/dashboard.js';
import { createClient, createTestGatehouse, getToken, introspect, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { exchangeCode, issueCode, refresh, REDIRECT_URI, type TokenPair } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';

describe('secret rotation without grace: access tokens revoked, refresh tokens survive', () => {
  let t: TestGatehouse;
  let app: TestClient;
  let resourceServer: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    app = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], redirectUris: [REDIRECT_URI] });
    resourceServer = await createClient(t.gatehouse, { tenant: 'acme', name: 'Document API' });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
  });
  after(() => t.close());

  it('the old access tokens introspect inactive, a refresh with the old secret fails, one with the new secret works', async () => {
    const user = await t.gatehouse.storage.users.findUserByUsername('alice');
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: app.clientId, userId: user!.id });
    const exchanged = await exchangeCode(t.app, app, code, verifier ? { code_verifier: verifier } : {});
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    const pair = exchanged.json() as TokenPair;
    const machineToken = await getToken(t.app, app);
    assert.equal((await introspect(t.app, resourceServer, pair.access_token)).active, true);

    const { secret } = await t.gatehouse.admin.clients.rotateSecret(app.clientId);
    const rotated = { ...app, secret };

    assert.deepEqual(await introspect(t.app, resourceServer, pair.access_token), { active: false }, "the user's access token is revoked at once");
    assert.deepEqual(await introspect(t.app, resourceServer, machineToken), { active: false }, 'so is a client_credentials token');

    const withOld = await refresh(t.app, app, pair.refresh_token);
    assert.equal(withOld.statusCode, 401, 'the old secret no longer authenticates');
    assert.equal((withOld.json() as { error: string }).error, 'invalid_client');

    const withNew = await refresh(t.app, rotated, pair.refresh_token);
    assert.equal(withNew.statusCode, 200, `the refresh token survives the rotation: ${withNew.body}`);
    const renewed = withNew.json() as TokenPair;
    assert.equal((await introspect(t.app, resourceServer, renewed.access_token)).active, true, 'the access token it brings is active');
    assert.equal((await refresh(t.app, rotated, renewed.refresh_token)).statusCode, 200);
  });

  it('the CLI help says so', async () => {
    const help = await runCli(['client', 'rotate-secret', '--help']);
    const text = (help.stdout + help.stderr).replace(/\s+/g, ' ');
    assert.match(text, /access tokens are revoked at once; its refresh tokens survive \(they cannot be used without the new secret\)/);
  });

  it("the dashboard's rotate dialog says so", async () => {
    await t.gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: PASSWORD });
    const admin = await signInToDashboard(t, 'olivia', PASSWORD);
    const page = await t.app.inject({ method: 'GET', url: `/admin/tenants/acme/clients/${app.clientId}`, headers: { cookie: admin.cookie } });
    assert.equal(page.statusCode, 200, page.body.slice(0, 300));
    assert.match(page.body, /access tokens are revoked at once\. Its refresh tokens survive \(they cannot be used without the new secret\)/);
  });
});
