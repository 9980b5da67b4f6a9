/**
 * The admin API through HTTP (fastify.inject): a Gatehouse on a fresh database of one
 * storage target, with the tokens every test needs: an operator client's, a tenant admin
 * client's (tenant `acme`), a token for the admin API without gatehouse:admin, a
 * document-API token.
 */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { mintAccessToken } from '../../../packages/server/src/core/access-token.js';
import { createClient, createTestGatehouse, getToken, TEST_ISSUER, type TestClient, type TestGatehouse } from '../../helpers/gatehouse.js';
import type { StorageTarget } from '../../helpers/postgres.js';
import { createTempDir } from '../../helpers/temp-dir.js';

export const V1 = '/admin/api/v1';
export const ADMIN_AUDIENCE = `${TEST_ISSUER}/admin/api`;

export interface AdminApiFixture {
  t: TestGatehouse;
  operator: TestClient;
  acmeAdmin: TestClient;
  tokens: { operator: string; acme: string; withoutAdminScope: string; documents: string };
  /** Calls the admin API with `token` (none: no Authorization header); a Buffer body is sent as is, with `headers`. */
  call(token: string | undefined, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function openAdminApi(target: StorageTarget): Promise<AdminApiFixture> {
  const dir = createTempDir('gatehouse-admin-api-');
  const database = await target.create(dir.path);
  const t = await createTestGatehouse({ databaseUrl: database.url });
  const created = await t.gatehouse.admin.operatorClients.create({ name: 'Automation' });
  const operator: TestClient = { clientId: created.client.id, secret: created.secret!, tenant: '' };
  const acmeAdmin = await createClient(t.gatehouse, { tenant: 'acme', name: 'Acme automation', scope: 'gatehouse:admin', defaultScope: 'gatehouse:admin' });
  await t.gatehouse.admin.tenants.create({ slug: 'globex', name: 'Globex' });
  const documents = await createClient(t.gatehouse, { tenant: 'acme', name: 'Documents app' });
  const acmeClient = await t.gatehouse.storage.clients.findClient(documents.clientId);
  // A token for the admin API's audience without gatehouse:admin cannot be had at the
  // token endpoint (it refuses one): minted here with the server's own key.
  const withoutAdminScope = await mintAccessToken(
    { client: acmeClient!, subject: documents.clientId, scope: ['documents:read'], tenant: 'acme', ttl: 300, audience: ADMIN_AUDIENCE },
    { keys: t.gatehouse.keys, config: t.config },
    Date.now(),
  );
  const tokens = {
    operator: await getToken(t.app, operator),
    acme: await getToken(t.app, acmeAdmin),
    withoutAdminScope: withoutAdminScope.token,
    documents: await getToken(t.app, documents),
  };
  return {
    t,
    operator,
    acmeAdmin,
    tokens,
    call: (token, method, url, body, headers = {}) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      }),
    async close() {
      await t.close();
      await database.cleanup();
      dir.remove();
    },
  };
}

/** Asserts an RFC 9457 problem with `status` (and `code`, when given); returns its body. */
export function assertProblem(response: LightMyRequestResponse, status: number, code?: string): Record<string, unknown> {
  assert.equal(response.statusCode, status, `expected ${status}, got ${response.statusCode} ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  assert.equal(body.status, status);
  assert.equal(body.type, 'about:blank');
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  if (code !== undefined) assert.equal(body.code, code, response.body);
  return body;
}

let counter = 0;
/** A name no other call of this run uses. */
export const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
