/**
 * Admin API tokens (issue 14): gatehouse:admin client_credentials tokens for the admin
 * API's own audience, operator clients, and how the admin API authenticates them
 * (Services.adminAuthentication), through fastify.inject on a real SQLite file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdminAuthenticationError } from '../../packages/server/src/server/admin-authentication.js';
import { createClient, createTestGatehouse, getToken, introspect, postForm, TEST_ISSUER, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { eventually } from '../helpers/timing.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { exchangeCode, issueCode, tokenRequest } from '../helpers/user-delegation.js';

const ADMIN_AUD = `${TEST_ISSUER}/admin/api`;
const API_AUD = `${TEST_ISSUER}/api`;

describe('admin API tokens', () => {
  let t: TestGatehouse;
  let operator: TestClient;
  let tenantAdmin: TestClient;
  let documents: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    const created = await t.gatehouse.admin.operatorClients.create({ name: 'Automation' });
    operator = { clientId: created.client.id, secret: created.secret!, tenant: '' };
    tenantAdmin = await createClient(t.gatehouse, { tenant: 'acme', name: 'Acme automation', scope: 'gatehouse:admin', defaultScope: 'gatehouse:admin' });
    documents = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  const token = (client: TestClient, params: Record<string, string> = {}) =>
    postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', ...params }, { authorization: basicAuth(client.clientId, client.secret) });
  const refused = async (client: TestClient, params: Record<string, string>, error: string) => {
    const response = await token(client, params);
    assert.equal(response.statusCode, 400, response.body);
    assert.equal((response.json() as { error: string }).error, error);
  };
  const authenticate = (accessToken: string | undefined) => t.gatehouse.services.adminAuthentication(accessToken === undefined ? undefined : `Bearer ${accessToken}`);
  const authenticationError = async (accessToken: string | undefined): Promise<AdminAuthenticationError> => {
    try {
      await authenticate(accessToken);
    } catch (error) {
      assert.ok(error instanceof AdminAuthenticationError, String(error));
      return error;
    }
    assert.fail('the admin API accepted the token');
  };

  describe('issuance', () => {
    it("an operator client's token: aud the admin API, scope gatehouse:admin, no tenant claim", async () => {
      const response = await token(operator);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json() as { access_token: string; scope: string };
      assert.equal(body.scope, 'gatehouse:admin');
      const claims = jwtPayload(body.access_token);
      assert.equal(claims.aud, ADMIN_AUD);
      assert.equal(claims.scope, 'gatehouse:admin');
      assert.equal(claims.sub, operator.clientId);
      assert.ok(!('tenant' in claims));
    });

    it("a tenant client's gatehouse:admin token names its tenant; asked by scope or by RFC 8707 resource", async () => {
      const requests: Record<string, string>[] = [{ scope: 'gatehouse:admin' }, { resource: ADMIN_AUD }, { scope: 'gatehouse:admin', resource: ADMIN_AUD }, {}];
      for (const params of requests) {
        const claims = jwtPayload(await getToken(t.app, tenantAdmin, params));
        assert.deepEqual([claims.aud, claims.scope, claims.tenant], [ADMIN_AUD, 'gatehouse:admin', 'acme'], JSON.stringify(params));
      }
    });

    it('tokens without gatehouse:admin keep the document API audience', async () => {
      const claims = jwtPayload(await getToken(t.app, documents, { scope: 'documents:read' }));
      assert.deepEqual([claims.aud, claims.tenant], [API_AUD, 'acme']);
      assert.equal(jwtPayload(await getToken(t.app, documents, { resource: API_AUD })).aud, API_AUD);
    });

    it('gatehouse:admin with document API scopes is invalid_scope (an admin token carries it alone)', async () => {
      const mixed = await createClient(t.gatehouse, { tenant: 'acme', scope: 'gatehouse:admin documents:read', defaultScope: 'documents:read' });
      await refused(mixed, { scope: 'gatehouse:admin documents:read' }, 'invalid_scope');
      await refused(mixed, { scope: 'documents:read', resource: ADMIN_AUD }, 'invalid_scope');
      await refused(mixed, { scope: 'gatehouse:admin', resource: API_AUD }, 'invalid_scope');
      assert.equal(jwtPayload(await getToken(t.app, mixed)).aud, API_AUD, 'its default scope gets a document API token');
    });

    it('a client without gatehouse:admin: invalid_scope asking by scope, invalid_target asking by resource', async () => {
      await refused(documents, { scope: 'gatehouse:admin' }, 'invalid_scope');
      await refused(documents, { resource: ADMIN_AUD }, 'invalid_target');
      await refused(documents, { resource: 'https://elsewhere.example/api' }, 'invalid_target');
    });

    it('an operator client gets no document API token (it belongs to no tenant)', async () => {
      await refused(operator, { scope: 'documents:read' }, 'invalid_scope');
      await refused(operator, { resource: API_AUD }, 'invalid_scope');
    });

    it('gatehouse:admin is refused at the authorization endpoint and in code exchange and refresh', async () => {
      const app = await t.gatehouse.admin.clients.create({
        tenant: 'acme',
        name: 'Web app',
        grantTypes: ['authorization_code', 'refresh_token'],
        scope: 'documents:read',
        redirectUris: ['https://app.example.com/callback'],
      });
      const webClient = { clientId: app.client.id, secret: app.secret!, tenant: 'acme' };
      // The registration rule keeps gatehouse:admin off such a client (see the admin services test); a record
      // that has it anyway (written straight to the store) still gets it nowhere.
      const stored = app.client;
      await t.gatehouse.storage.clients.updateClient(stored.id, { ...stored, scopes: ['documents:read', 'gatehouse:admin'], refreshGraceSeconds: stored.refreshGraceSeconds });
      const authorize = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: webClient.clientId, redirect_uri: 'https://app.example.com/callback', scope: 'gatehouse:admin', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeKt8URWZ6NLNRxo0H3s', code_challenge_method: 'S256' })}`,
      });
      assert.equal(authorize.statusCode, 302, authorize.body);
      const location = new URL(authorize.headers.location as string);
      assert.equal(location.searchParams.get('error'), 'invalid_scope');
      assert.match(location.searchParams.get('error_description') ?? '', /authorization endpoint/);

      const user = await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'ada', password: 'correct horse battery staple' });
      const { code, verifier } = await issueCode(t.gatehouse, { clientId: webClient.clientId, userId: user.id, scope: ['gatehouse:admin'], tenants: ['acme'] });
      const exchanged = await exchangeCode(t.app, webClient, code, { code_verifier: verifier });
      assert.equal(exchanged.statusCode, 400);
      assert.equal((exchanged.json() as { error: string }).error, 'invalid_scope');

      // A grant recorded with gatehouse:admin (as an older version might have): its refresh token gets nothing.
      const second = await issueCode(t.gatehouse, { clientId: webClient.clientId, userId: user.id, scope: ['documents:read'], tenants: ['acme'] });
      const ok = await exchangeCode(t.app, webClient, second.code, { code_verifier: second.verifier });
      assert.equal(ok.statusCode, 200, ok.body);
      const refreshToken = (ok.json() as { refresh_token: string }).refresh_token;
      const grantId = jwtPayload((ok.json() as { access_token: string }).access_token).grant_id as string;
      await (t.gatehouse.storage as SqlStorage).db.updateTable('grants').set({ scope: 'documents:read gatehouse:admin' }).where('id', '=', grantId).execute();
      const refreshed = await tokenRequest(t.app, webClient, { grant_type: 'refresh_token', refresh_token: refreshToken });
      assert.equal(refreshed.statusCode, 400);
      assert.equal((refreshed.json() as { error: string }).error, 'invalid_scope');
    });

    it('introspection (RFC 7662) of an admin token: active for its own client, with the admin audience', async () => {
      const accessToken = await getToken(t.app, operator);
      const answer = await introspect(t.app, operator, accessToken);
      assert.equal(answer.active, true);
      assert.equal(answer.aud, ADMIN_AUD);
      assert.equal(answer.scope, 'gatehouse:admin');
      assert.deepEqual(await introspect(t.app, documents, accessToken), { active: false }, "another tenant's client learns nothing");
    });
  });

  describe('adminAuthentication', () => {
    it('an operator token → operator principal; a tenant admin token → that tenant', async () => {
      assert.deepEqual(await authenticate(await getToken(t.app, operator)), { kind: 'operator', actor: operator.clientId });
      assert.deepEqual(await authenticate(await getToken(t.app, tenantAdmin)), { kind: 'tenant', tenant: 'acme', actor: tenantAdmin.clientId });
    });

    it('no token: 401 with a bare Bearer challenge; a document API token: 401 invalid_token (audience)', async () => {
      const none = await authenticationError(undefined);
      assert.equal(none.status, 401);
      assert.equal(none.wwwAuthenticate, `Bearer realm="${TEST_ISSUER}"`);
      const api = await authenticationError(await getToken(t.app, documents));
      assert.equal(api.status, 401);
      assert.equal(api.code, 'invalid_token');
      assert.match(api.wwwAuthenticate, /error="invalid_token"/);
      const garbage = await authenticationError('not-a-token');
      assert.equal(garbage.status, 401);
    });

    it('the document API refuses an admin token (audience)', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/files', headers: { authorization: `Bearer ${await getToken(t.app, tenantAdmin)}`, 'x-tenant': 'acme' } });
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
    });

    it("rotating an operator client's secret (no grace) revokes its tokens, as the verifier sees at once", async () => {
      const created = await t.gatehouse.admin.operatorClients.create({ name: 'Rotated' });
      const accessToken = await getToken(t.app, { clientId: created.client.id, secret: created.secret!, tenant: '' });
      assert.equal((await authenticate(accessToken)).kind, 'operator');
      const rotated = await t.gatehouse.admin.operatorClients.rotateSecret(created.client.id);
      assert.equal((await authenticationError(accessToken)).status, 401);
      // The revocation feed says so too: the verifier alone (no store read) refuses it once it has polled.
      await eventually('the admin verifier refuses the rotated client\'s token', () =>
        t.gatehouse.adminVerifier().verify({ headers: { authorization: `Bearer ${accessToken}` }, url: '/' }, { tenant: 'free' }).then(() => false, () => true),
      );
      const fresh = await getToken(t.app, { clientId: created.client.id, secret: rotated.secret, tenant: '' });
      assert.equal((await authenticate(fresh)).kind, 'operator');
    });

    it('a disabled or deleted operator client, a disabled tenant: their tokens are refused', async () => {
      const created = await t.gatehouse.admin.operatorClients.create({ name: 'Disabled' });
      const client = { clientId: created.client.id, secret: created.secret!, tenant: '' };
      const accessToken = await getToken(t.app, client);
      await t.gatehouse.admin.operatorClients.disable(client.clientId);
      assert.equal((await authenticationError(accessToken)).status, 401);
      await t.gatehouse.admin.operatorClients.enable(client.clientId);
      const again = await getToken(t.app, client);
      assert.equal((await authenticate(again)).kind, 'operator');
      await t.gatehouse.admin.operatorClients.delete(client.clientId);
      assert.equal((await authenticationError(again)).status, 401);
      assert.equal((await token(client)).statusCode, 401);

      await t.gatehouse.admin.tenants.create({ slug: 'initech' });
      const initech = await createClient(t.gatehouse, { tenant: 'initech', scope: 'gatehouse:admin', defaultScope: 'gatehouse:admin' });
      const tenantToken = await getToken(t.app, initech);
      await t.gatehouse.admin.tenants.disable('initech');
      assert.equal((await authenticationError(tenantToken)).status, 401);
    });
  });
});
