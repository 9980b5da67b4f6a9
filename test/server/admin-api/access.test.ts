/**
 * Who may call each admin API route, through HTTP (fastify.inject), on SQLite and on
 * PostgreSQL: an operator client's token reaches everything; a tenant `gatehouse:admin`
 * client's token reaches its own tenant (another tenant's resource: 404, never data; an
 * operator-only route: 403); a token for the admin API without gatehouse:admin: 403
 * insufficient_scope; no token: 401 with a Bearer challenge; a document-API token: 401
 * (wrong audience).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STORAGE_TARGETS } from '../../helpers/postgres.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from './helpers.js';

const PASSWORD = 'correct horse battery';
/** The smallest PNG: its signature is what the logo check reads. */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);

/** A route: how to prepare what it acts on in a tenant, its request, and its success status. */
interface RouteCase {
  name: string;
  method: string;
  /** Operators only: a tenant admin gets 403 (on its own tenant too). */
  operatorOnly?: boolean;
  /** The path of the tenant's slug alone cannot say "another tenant" (e.g. GET /tenants): no 404 check. */
  noTenant?: boolean;
  ok: number;
  /** Creates what the request acts on in `slug`; returns the request's path and body (and its headers, for a raw body). */
  prepare(f: AdminApiFixture, slug: string): Promise<{ url: string; body?: unknown; headers?: Record<string, string> }>;
}

async function newClient(f: AdminApiFixture, slug: string): Promise<string> {
  return (await f.t.gatehouse.admin.clients.create({ tenant: slug, name: unique('client') })).client.id;
}

async function newUser(f: AdminApiFixture, slug: string, alsoIn?: string): Promise<{ id: string; username: string }> {
  const user = await f.t.gatehouse.admin.users.create({ tenant: slug, username: unique('user'), password: PASSWORD });
  if (alsoIn) await f.t.gatehouse.admin.users.addToTenant(user.username, alsoIn);
  return user;
}

const CASES: RouteCase[] = [
  { name: 'GET /tenants', method: 'GET', noTenant: true, ok: 200, prepare: async () => ({ url: `${V1}/tenants` }) },
  { name: 'POST /tenants', method: 'POST', operatorOnly: true, ok: 201, prepare: async () => ({ url: `${V1}/tenants`, body: { slug: unique('t') } }) },
  { name: 'GET /tenants/{slug}', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}` }) },
  { name: 'PATCH /tenants/{slug}', method: 'PATCH', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}`, body: { name: 'Renamed' } }) },
  {
    name: 'DELETE /tenants/{slug}',
    method: 'DELETE',
    operatorOnly: true,
    ok: 204,
    // The operator deletes a tenant of its own making (deleting disables: keep acme and globex usable).
    prepare: async (f, slug) => {
      if (slug !== 'globex') return { url: `${V1}/tenants/${slug}` };
      const spare = unique('spare');
      await f.t.gatehouse.admin.tenants.create({ slug: spare });
      return { url: `${V1}/tenants/${spare}` };
    },
  },
  { name: 'PUT /tenants/{slug}/logo', method: 'PUT', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/logo`, body: PNG, headers: { 'content-type': 'image/png' } }) },
  { name: 'DELETE /tenants/{slug}/logo', method: 'DELETE', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/logo` }) },
  { name: 'GET /tenants/{slug}/clients', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/clients` }) },
  { name: 'POST /tenants/{slug}/clients', method: 'POST', ok: 201, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/clients`, body: { name: 'New app' } }) },
  { name: 'GET /tenants/{slug}/clients/{client_id}', method: 'GET', ok: 200, prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/clients/${await newClient(f, slug)}` }) },
  {
    name: 'PATCH /tenants/{slug}/clients/{client_id}',
    method: 'PATCH',
    ok: 200,
    prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/clients/${await newClient(f, slug)}`, body: { name: 'Renamed' } }),
  },
  { name: 'DELETE /tenants/{slug}/clients/{client_id}', method: 'DELETE', ok: 204, prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/clients/${await newClient(f, slug)}` }) },
  {
    name: 'POST /tenants/{slug}/clients/{client_id}/rotate-secret',
    method: 'POST',
    ok: 200,
    prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/clients/${await newClient(f, slug)}/rotate-secret`, body: { grace: '1h' } }),
  },
  { name: 'GET /tenants/{slug}/scopes', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/scopes` }) },
  { name: 'PUT /tenants/{slug}/scopes/{name}', method: 'PUT', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/scopes/${unique('files')}:read`, body: { description: 'Read files' } }) },
  {
    name: 'DELETE /tenants/{slug}/scopes/{name}',
    method: 'DELETE',
    ok: 204,
    prepare: async (f, slug) => {
      const name = unique('files');
      await f.t.gatehouse.admin.scopes.create({ tenant: slug, name, description: 'Files' });
      return { url: `${V1}/tenants/${slug}/scopes/${name}` };
    },
  },
  { name: 'GET /tenants/{slug}/users', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/users` }) },
  { name: 'POST /tenants/{slug}/users', method: 'POST', ok: 201, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/users`, body: { username: unique('new'), password: PASSWORD } }) },
  {
    name: 'PUT /tenants/{slug}/users/{username}',
    method: 'PUT',
    // A tenant principal reaches its own members only (attaching another tenant's user is
    // an operator's act, test/server/admin-api/users.test.ts): for them PUT confirms a membership.
    ok: 200,
    prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/users/${(await newUser(f, slug)).username}` }),
  },
  {
    name: 'DELETE /tenants/{slug}/users/{username}',
    method: 'DELETE',
    ok: 204,
    prepare: async (f, slug) => {
      const spare = unique('home');
      await f.t.gatehouse.admin.tenants.create({ slug: spare });
      return { url: `${V1}/tenants/${slug}/users/${(await newUser(f, spare, slug)).username}` };
    },
  },
  { name: 'GET /users/{username}', method: 'GET', ok: 200, prepare: async (f, slug) => ({ url: `${V1}/users/${(await newUser(f, slug)).username}` }) },
  { name: 'PATCH /users/{username}', method: 'PATCH', ok: 200, prepare: async (f, slug) => ({ url: `${V1}/users/${(await newUser(f, slug)).username}`, body: { disabled: true } }) },
  { name: 'DELETE /users/{username}', method: 'DELETE', ok: 204, prepare: async (f, slug) => ({ url: `${V1}/users/${(await newUser(f, slug)).username}` }) },
  { name: 'DELETE /users/{username}/sessions', method: 'DELETE', ok: 200, prepare: async (f, slug) => ({ url: `${V1}/users/${(await newUser(f, slug)).username}/sessions` }) },
  { name: 'GET /users/{username}/grants', method: 'GET', ok: 200, prepare: async (f, slug) => ({ url: `${V1}/users/${(await newUser(f, slug)).username}/grants` }) },
  {
    name: 'DELETE /users/{username}/grants/{grant_id}',
    method: 'DELETE',
    ok: 200,
    prepare: async (f, slug) => {
      const user = await newUser(f, slug);
      const now = Date.now();
      const grant = await f.t.gatehouse.storage.grants.createGrant({
        id: randomUUID(), clientId: await newClient(f, slug), userId: user.id, codeDigest: randomUUID(), scope: ['a'], tenants: [slug], createdAt: now, absoluteExpiresAt: now + 3_600_000,
      });
      return { url: `${V1}/users/${user.username}/grants/${grant.id}` };
    },
  },
  { name: 'GET /audit-events', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/audit-events?tenant=${slug}&limit=5` }) },
  { name: 'GET /operator-clients', method: 'GET', operatorOnly: true, ok: 200, prepare: async () => ({ url: `${V1}/operator-clients` }) },
  { name: 'POST /operator-clients', method: 'POST', operatorOnly: true, ok: 201, prepare: async () => ({ url: `${V1}/operator-clients`, body: { name: 'Robot' } }) },
  ...(['GET', 'PATCH', 'DELETE'] as const).map(
    (method): RouteCase => ({
      name: `${method} /operator-clients/{client_id}`,
      method,
      operatorOnly: true,
      ok: method === 'DELETE' ? 204 : 200,
      prepare: async (f) => ({
        url: `${V1}/operator-clients/${(await f.t.gatehouse.admin.operatorClients.create({ name: 'Robot' })).client.id}`,
        ...(method === 'PATCH' ? { body: { name: 'Renamed robot' } } : {}),
      }),
    }),
  ),
  {
    name: 'POST /operator-clients/{client_id}/rotate-secret',
    method: 'POST',
    operatorOnly: true,
    ok: 200,
    prepare: async (f) => ({ url: `${V1}/operator-clients/${(await f.t.gatehouse.admin.operatorClients.create({ name: 'Robot' })).client.id}/rotate-secret`, body: { grace: 60 } }),
  },
  { name: 'GET /tenants/{slug}/admins', method: 'GET', ok: 200, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/admins` }) },
  { name: 'POST /tenants/{slug}/admins', method: 'POST', ok: 201, prepare: async (_f, slug) => ({ url: `${V1}/tenants/${slug}/admins`, body: { username: unique('admin'), password: PASSWORD } }) },
  {
    name: 'DELETE /tenants/{slug}/admins/{username}',
    method: 'DELETE',
    ok: 204,
    prepare: async (f, slug) => ({ url: `${V1}/tenants/${slug}/admins/${(await f.t.gatehouse.admin.accounts.create({ tenant: slug, username: unique('admin'), password: PASSWORD })).username}` }),
  },
  { name: 'GET /operators', method: 'GET', operatorOnly: true, ok: 200, prepare: async () => ({ url: `${V1}/operators` }) },
  { name: 'POST /operators', method: 'POST', operatorOnly: true, ok: 201, prepare: async () => ({ url: `${V1}/operators`, body: { username: unique('op'), password: PASSWORD } }) },
  {
    name: 'DELETE /operators/{username}',
    method: 'DELETE',
    operatorOnly: true,
    ok: 204,
    prepare: async (f) => ({ url: `${V1}/operators/${(await f.t.gatehouse.admin.accounts.create({ username: unique('op'), password: PASSWORD })).username}` }),
  },
  { name: 'GET /keys', method: 'GET', operatorOnly: true, ok: 200, prepare: async () => ({ url: `${V1}/keys` }) },
  { name: 'POST /keys/rotate', method: 'POST', operatorOnly: true, ok: 201, prepare: async () => ({ url: `${V1}/keys/rotate` }) },
  {
    name: 'POST /keys/{kid}/withdraw',
    method: 'POST',
    operatorOnly: true,
    ok: 204,
    prepare: async (f) => {
      const retired = await f.t.gatehouse.admin.keys.rotate();
      await f.t.gatehouse.admin.keys.rotate();
      return { url: `${V1}/keys/${retired.kid}/withdraw` };
    },
  },
];

/** Every route of the document, so that a route added without a case here fails the test below. */
export const COVERED_ROUTES = CASES.map((route) => route.name);

for (const target of STORAGE_TARGETS) {
  describe(`admin API access rules (${target.name})`, { skip: target.skip }, () => {
    let f: AdminApiFixture;
    before(async () => {
      f = await openAdminApi(target);
    });
    after(() => f?.close());

    it('covers every route of the OpenAPI document', async () => {
      const document = (await f.call(undefined, 'GET', '/admin/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace('/admin/api/v1', '')}`));
      assert.deepEqual([...documented].sort(), [...COVERED_ROUTES].sort());
    });

    for (const route of CASES) {
      it(`${route.name}: operator ${route.ok}; tenant admin ${route.operatorOnly ? '403' : `${route.ok} on its tenant, 404 on another`}; no admin scope 403; no token 401; document-API token 401`, async () => {
        const own = await route.prepare(f, 'acme');
        // Refusals first: none of them may change anything.
        const none = await f.call(undefined, route.method, own.url, own.body, own.headers);
        assertProblem(none, 401);
        assert.match(String(none.headers['www-authenticate']), /^Bearer realm=/);
        const documents = await f.call(f.tokens.documents, route.method, own.url, own.body, own.headers);
        assertProblem(documents, 401, 'invalid_token');
        assert.match(String(documents.headers['www-authenticate']), /error="invalid_token"/);
        const noScope = await f.call(f.tokens.withoutAdminScope, route.method, own.url, own.body, own.headers);
        assertProblem(noScope, 403, 'insufficient_scope');
        assert.match(String(noScope.headers['www-authenticate']), /error="insufficient_scope"/);

        if (route.operatorOnly) {
          assertProblem(await f.call(f.tokens.acme, route.method, own.url, own.body, own.headers), 403, 'forbidden');
        } else {
          if (!route.noTenant) {
            const theirs = await route.prepare(f, 'globex');
            const crossed = await f.call(f.tokens.acme, route.method, theirs.url, theirs.body, theirs.headers);
            const problem = assertProblem(crossed, 404, 'not_found');
            // A problem, never data (its detail names only what the path named).
            assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'status', 'title', 'type']);
          }
          const mine = await f.call(f.tokens.acme, route.method, own.url, own.body, own.headers);
          assert.equal(mine.statusCode, route.ok, mine.body);
        }
        const theirs = await route.prepare(f, 'globex');
        const asOperator = await f.call(f.tokens.operator, route.method, theirs.url, theirs.body, theirs.headers);
        assert.equal(asOperator.statusCode, route.ok, asOperator.body);
        if (route.ok === 204) assert.equal(asOperator.body, '');
        else assert.match(String(asOperator.headers['content-type']), /^application\/json/);
      });
    }

    it("a tenant admin sees only its own tenant in the tenant list and only its tenant's audit events", async () => {
      const tenants = (await f.call(f.tokens.acme, 'GET', `${V1}/tenants`)).json() as { items: { slug: string }[] };
      assert.deepEqual(tenants.items.map((tenant) => tenant.slug), ['acme']);
      const events = (await f.call(f.tokens.acme, 'GET', `${V1}/audit-events?limit=1000`)).json() as { items: { tenant: string }[] };
      assert.ok(events.items.length > 0);
      assert.ok(events.items.every((event) => event.tenant === 'acme'));
    });

    it("a client id of another tenant under the tenant admin's own path is 404, never data", async () => {
      const theirs = await newClient(f, 'globex');
      const response = await f.call(f.tokens.acme, 'GET', `${V1}/tenants/acme/clients/${theirs}`);
      assertProblem(response, 404, 'not_found');
      assert.ok(!response.body.includes('"name"'));
    });
  });
}
