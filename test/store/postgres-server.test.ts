/**
 * The whole client_credentials flow on PostgreSQL, through fastify.inject: the same
 * server code as on SQLite, on the other storage dialect. Skipped unless
 * GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createTestGatehouse,
  getToken,
  introspect,
  postForm,
  type TestClient,
  type TestGatehouse,
} from '../helpers/gatehouse.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { createTempPostgresDatabase, SKIP_POSTGRES, type TempDatabase } from '../helpers/postgres.js';
import { MIGRATION_NAMES } from '../../packages/server/src/store/sql/migrations/index.js';

describe('Gatehouse on PostgreSQL: client_credentials end to end', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    database = await createTempPostgresDatabase();
    t = await createTestGatehouse({ databaseUrl: database.url });
    client = await createClient(t.gatehouse, { tenantTtl: 43_200 });
  });

  after(async () => {
    await t?.close();
    await database?.drop();
  });

  it('runs on PostgreSQL and applied its migrations there', async () => {
    assert.equal((t.gatehouse.storage as SqlStorage).dialect, 'postgres');
    assert.deepEqual(t.gatehouse.migrationsApplied, [...MIGRATION_NAMES]);
    assert.deepEqual(await t.gatehouse.storage.migrationStatus(), { applied: [...MIGRATION_NAMES], pending: [] });
    const check = await t.gatehouse.storage.settings.getSetting('master_key_check');
    assert.ok(check, 'the master key check is stored in PostgreSQL');
    assert.equal(await t.gatehouse.storage.settings.putSettingIfAbsent('master_key_check', 'another value'), check, 'and cannot be replaced');
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
  });

  it('issues a token, introspects it active, and a secret rotation without grace makes it inactive', async () => {
    const issued = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) });
    assert.equal(issued.statusCode, 200, issued.body);
    const body = issued.json() as { access_token: string; expires_in: number; scope: string; token_type: string };
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 43_200, 'the tenant lifetime stored in PostgreSQL applies');
    assert.equal(body.scope, 'documents:read');
    const token = body.access_token;
    assert.equal(jwtPayload(token).tenant, client.tenant);

    const active = await introspect(t.app, client, token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, client.clientId);
    assert.equal(active.tenant, client.tenant);

    const epochBefore = (await t.gatehouse.storage.clients.findClient(client.clientId))?.revocationEpoch;
    assert.equal(epochBefore, 0);
    const rotated = await t.gatehouse.admin.clients.rotateSecret(client.clientId);
    assert.equal(rotated.previousSecretExpiresAt, null);
    assert.equal(rotated.client.revocationEpoch, 1, 'a rotation without grace raised the revocation epoch by one');
    assert.deepEqual(await t.gatehouse.storage.clients.findClient(client.clientId), rotated.client);
    const caller = { ...client, secret: rotated.secret };
    assert.deepEqual(await introspect(t.app, caller, token), { active: false });

    const old = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) });
    assert.equal(old.statusCode, 401, 'the old secret stopped working at once');
    assert.equal((old.json() as { error: string }).error, 'invalid_client');

    const fresh = await getToken(t.app, caller);
    assert.equal((await introspect(t.app, caller, fresh)).active, true, 'a token issued with the new secret is active');
  });

  it('revokes a token through /oauth/revoke, stored in the PostgreSQL deny-list', async () => {
    const other = await createClient(t.gatehouse, { tenant: client.tenant });
    const token = await getToken(t.app, other);
    const revoked = await postForm(t.app, '/oauth/revoke', { token }, { authorization: basicAuth(other.clientId, other.secret) });
    assert.equal(revoked.statusCode, 200);
    assert.deepEqual(await introspect(t.app, other, token), { active: false });
    assert.equal(await t.gatehouse.storage.revocations.isAccessTokenRevoked(String(jwtPayload(token).jti)), true);
  });
});
