/**
 * Issue 16 (Medium): disabling a client, a tenant or a user revokes its grants for good.
 * Enabling again must not bring a refresh token issued before the disable back to life
 * ("tokens revoked by disabling stay revoked"). The disable and enable run through the CLI
 * in-process (its own connection to the server's SQLite file, as an operator's shell
 * would); the refresh goes to the server through fastify.inject.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/in-process.js';
import { createClient, createTestGatehouse, introspect, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

const withRefresh = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] };

describe('disable then enable never resurrects a grant (issue 16)', () => {
  let t: TestGatehouse;
  let rs: TestClient;
  let cli: (args: string[]) => Promise<void>;
  let userIds: Map<string, string>;

  before(async () => {
    t = await createTestGatehouse();
    rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
    userIds = new Map();
    cli = async (args) => {
      const run = await runCli([...args, '--db', t.config.databaseUrl], { env: { GATEHOUSE_DATA_DIR: t.dir } });
      assert.equal(run.code, 0, `gatehouse ${args.join(' ')}: ${run.stderr}`);
    };
  });
  after(() => t.close());

  /** A user of `tenant` (created once) and a code exchange of `client` for it. */
  async function authorize(client: TestClient, username: string): Promise<TokenPair> {
    let userId = userIds.get(username);
    if (userId === undefined) {
      userId = (await t.gatehouse.admin.users.create({ tenant: client.tenant, username, password: 'correct horse battery' })).id;
      userIds.set(username, userId);
    }
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
    const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as TokenPair;
  }

  const errorOf = (response: { statusCode: number; json(): unknown }) => [response.statusCode, (response.json() as { error?: string }).error];

  it('client disable, then client enable: a refresh token issued before stays revoked, a new authorization works', async () => {
    const client = await createClient(t.gatehouse, { name: 'Signing app', ...withRefresh });
    const issued = await authorize(client, 'alice');
    await cli(['client', 'disable', client.clientId]);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [401, 'invalid_client']);
    await cli(['client', 'enable', client.clientId]);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [400, 'invalid_grant']);
    assert.deepEqual(await introspect(t.app, rs, issued.access_token), { active: false });
    assert.deepEqual(await introspect(t.app, rs, issued.refresh_token), { active: false });
    // The client itself works again: the user authorizes anew.
    const fresh = await authorize(client, 'alice');
    assert.equal((await refresh(t.app, client, fresh.refresh_token)).statusCode, 200);
  });

  it('tenant disable, then tenant enable: the refresh tokens of its clients stay revoked', async () => {
    const client = await createClient(t.gatehouse, { name: 'Tenant app', ...withRefresh });
    const issued = await authorize(client, 'bob');
    await cli(['tenant', 'disable', client.tenant]);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [401, 'invalid_client']);
    await cli(['tenant', 'enable', client.tenant]);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [400, 'invalid_grant']);
    assert.deepEqual(await introspect(t.app, rs, issued.access_token), { active: false });
  });

  it('user disable, then user enable: the refresh tokens of the user stay revoked', async () => {
    const client = await createClient(t.gatehouse, { name: 'User app', ...withRefresh });
    const issued = await authorize(client, 'carol');
    await cli(['user', 'disable', 'carol']);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [400, 'invalid_grant']);
    await cli(['user', 'enable', 'carol']);
    assert.deepEqual(errorOf(await refresh(t.app, client, issued.refresh_token)), [400, 'invalid_grant']);
    assert.deepEqual(await introspect(t.app, rs, issued.access_token), { active: false });
  });
});
