/**
 * `client update`, `client delete`, `tenant update`, `tenant disable` (issue 14) seen from
 * the token endpoint: the new settings apply to the next request, and a deleted client's
 * (or a disabled tenant's clients') tokens, grants and refresh tokens stop working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, getToken, introspect, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/tokens.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

const clientCredentials = (client: TestClient, extra: Record<string, string> = {}) =>
  postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', ...extra }, { authorization: basicAuth(client.clientId, client.secret) });

let t: TestGatehouse;
let rs: TestClient;

describe('client update and delete over HTTP', () => {
  before(async () => {
    t = await createTestGatehouse();
    rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
  });
  after(() => t.close());

  it('an updated client gets tokens with its new scopes and lifetime at once; a removed scope is invalid_scope', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    await t.gatehouse.admin.clients.update(client.clientId, { scope: 'documents:read reports:read', defaultScope: 'reports:read', accessTokenTtl: 120 });
    const refused = await clientCredentials(client, { scope: 'documents:write' });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal((refused.json() as { error: string }).error, 'invalid_scope');
    const granted = await clientCredentials(client);
    assert.equal(granted.statusCode, 200, granted.body);
    assert.deepEqual({ ...(granted.json() as Record<string, unknown>), access_token: '' }, { access_token: '', token_type: 'Bearer', expires_in: 120, scope: 'reports:read' });
  });

  it("a deleted client cannot get tokens; its access tokens are inactive and its refresh token is refused", async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], redirectUris: [REDIRECT_URI] });
    const user = await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' });
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: client.clientId, userId: user.id, scope: ['documents:read'], tenants: ['acme'] });
    const exchanged = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    const pair = exchanged.json() as TokenPair;
    const machineToken = await getToken(t.app, client);
    assert.equal((await introspect(t.app, rs, pair.access_token)).active, true);

    await t.gatehouse.admin.clients.delete(client.clientId);

    const refreshed = await refresh(t.app, client, pair.refresh_token);
    assert.equal(refreshed.statusCode, 401, refreshed.body);
    assert.equal((refreshed.json() as { error: string }).error, 'invalid_client');
    const again = await clientCredentials(client);
    assert.equal(again.statusCode, 401, again.body);
    assert.equal((again.json() as { error: string }).error, 'invalid_client');
    assert.deepEqual(await introspect(t.app, rs, pair.access_token), { active: false });
    assert.deepEqual(await introspect(t.app, rs, machineToken), { active: false });
  });

  it("a disabled tenant's clients get invalid_client and their tokens are inactive; enabled again, they get tokens", async () => {
    const client = await createClient(t.gatehouse, { tenant: 'hooli' });
    const issued = await getToken(t.app, client);
    await t.gatehouse.admin.tenants.disable('hooli');
    const refused = await clientCredentials(client);
    assert.equal(refused.statusCode, 401, refused.body);
    assert.equal((refused.json() as { error: string }).error, 'invalid_client');
    assert.deepEqual(await introspect(t.app, rs, issued), { active: false });
    await t.gatehouse.admin.tenants.enable('hooli');
    assert.equal((await introspect(t.app, rs, await getToken(t.app, client))).active, true);
    assert.deepEqual(await introspect(t.app, rs, issued), { active: false }, 'tokens revoked by disabling stay revoked');
  });

  it("tenant update: the tenant's new lifetime applies to its clients' next token", async () => {
    const client = await createClient(t.gatehouse, { tenant: 'pied-piper', scope: 'a', defaultScope: 'a' });
    await t.gatehouse.admin.tenants.update('pied-piper', { accessTokenTtl: 300 });
    const granted = await clientCredentials(client);
    assert.equal((granted.json() as { expires_in: number }).expires_in, 300);
  });
});
