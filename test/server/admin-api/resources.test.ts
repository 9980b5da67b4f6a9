/**
 * What the admin API does, through HTTP (fastify.inject), on SQLite and on PostgreSQL:
 * resources as `gatehouse … --json` prints them, request bodies validated by schema with
 * RFC 9457 problems naming the field, lists paged with `next` to the end, a client secret
 * only in the answers to create and rotate-secret, rotation without grace refusing the old
 * secret at /oauth/token, deletion revoking tokens, and storage down as 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqlStorage } from '../../../packages/server/src/store/sql/index.js';
import { createClient, getToken, introspect, postForm } from '../../helpers/gatehouse.js';
import { SQLITE_TARGET, STORAGE_TARGETS } from '../../helpers/postgres.js';
import { basicAuth } from '../../helpers/tokens.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from './helpers.js';

const PASSWORD = 'correct horse battery';

for (const target of STORAGE_TARGETS) {
  describe(`admin API resources (${target.name})`, { skip: target.skip }, () => {
    let f: AdminApiFixture;
    let op: (method: string, url: string, body?: unknown) => ReturnType<AdminApiFixture['call']>;
    before(async () => {
      f = await openAdminApi(target);
      op = (method, url, body) => f.call(f.tokens.operator, method, url, body);
    });
    after(() => f?.close());

    it('a tenant: created 201 with durations as strings, renamed 200 (its slug never changes), deleted 204 = disabled', async () => {
      const created = await op('POST', `${V1}/tenants`, { slug: 'initech', name: 'Initech', access_token_ttl: '2h' });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual({ ...(created.json() as Record<string, unknown>), created_at: '' }, {
        slug: 'initech', name: 'Initech', access_token_ttl: 7200, disabled: false, branding: { accent: null, logo_url: null, terms_url: null, privacy_url: null }, created_at: '',
      });
      const renamed = await op('PATCH', `${V1}/tenants/initech`, { name: 'Initech Corp', access_token_ttl: null });
      assert.deepEqual([renamed.statusCode, renamed.json().name, renamed.json().access_token_ttl], [200, 'Initech Corp', null]);
      assertProblem(await op('PATCH', `${V1}/tenants/initech`, { slug: 'other' }), 400, 'invalid_request');
      assertProblem(await op('POST', `${V1}/tenants`, { slug: 'initech' }), 409, 'conflict');
      assertProblem(await op('GET', `${V1}/tenants/nowhere`), 404, 'not_found');
      assert.equal((await op('DELETE', `${V1}/tenants/initech`)).statusCode, 204);
      assert.equal((await op('GET', `${V1}/tenants/initech`)).json().disabled, true);
    });

    it('the client secret is in the answers to create (201) and rotate-secret (200) only', async () => {
      const created = await op('POST', `${V1}/tenants/acme/clients`, { name: 'Signing app', scope: 'documents:read documents:write', default_scope: 'documents:read', access_token_ttl: 600 });
      assert.equal(created.statusCode, 201, created.body);
      const { client_secret: secret, ...resource } = created.json() as Record<string, unknown> & { client_secret: string; client_id: string };
      assert.match(secret, /^gatehouse_secret_/);
      assert.equal(created.headers['cache-control'], 'no-store');
      assert.deepEqual(
        { ...resource, client_id: '', created_at: '' },
        {
          client_id: '', tenant: 'acme', name: 'Signing app', public: false, resource_server: false, grant_types: ['client_credentials'], scope: 'documents:read documents:write',
          default_scope: 'documents:read', redirect_uris: [], access_token_ttl: 600, refresh_idle_ttl: 2_592_000, refresh_absolute_ttl: 31_536_000, refresh_grace: 0, disabled: false, created_at: '',
        },
      );
      const id = resource.client_id as string;
      const reads = [
        await op('GET', `${V1}/tenants/acme/clients/${id}`),
        await op('GET', `${V1}/tenants/acme/clients?limit=1000`),
        await op('PATCH', `${V1}/tenants/acme/clients/${id}`, { name: 'Renamed' }),
        await op('GET', `${V1}/audit-events?limit=1000`),
      ];
      for (const read of reads) {
        assert.equal(read.statusCode, 200, read.body);
        assert.ok(!read.body.includes(secret) && !read.body.includes('client_secret'), 'no secret outside create and rotate-secret');
      }
      const rotated = await op('POST', `${V1}/tenants/acme/clients/${id}/rotate-secret`);
      assert.equal(rotated.statusCode, 200, rotated.body);
      const next = rotated.json() as { client_secret: string; previous_secret_expires_at: string | null };
      assert.notEqual(next.client_secret, secret);
      assert.equal(next.previous_secret_expires_at, null);
    });

    it('rotation without grace: the old secret is refused at /oauth/token, the new one works; with grace both work', async () => {
      const client = await createClient(f.t.gatehouse, { tenant: 'acme' });
      const token = (secret: string) => postForm(f.t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, secret) });
      const graced = (await op('POST', `${V1}/tenants/acme/clients/${client.clientId}/rotate-secret`, { grace: '24h' })).json() as { client_secret: string; previous_secret_expires_at: string };
      assert.ok(Date.parse(graced.previous_secret_expires_at) > Date.now() + 23 * 3_600_000);
      assert.equal((await token(client.secret)).statusCode, 200);
      assert.equal((await token(graced.client_secret)).statusCode, 200);
      const rotated = (await op('POST', `${V1}/tenants/acme/clients/${client.clientId}/rotate-secret`, {})).json() as { client_secret: string };
      assert.equal((await token(graced.client_secret)).statusCode, 401);
      assert.equal((await token(client.secret)).statusCode, 401);
      assert.equal((await token(rotated.client_secret)).statusCode, 200);
    });

    it("updates a client's grant types, redirect URIs and lifetimes; access_token_ttl null goes back to the tenant's; disabling and deleting revoke its tokens", async () => {
      const resourceServer = await createClient(f.t.gatehouse, { tenant: 'acme', resourceServer: true });
      const client = await createClient(f.t.gatehouse, { tenant: 'acme', accessTokenTtl: 600 });
      const url = `${V1}/tenants/acme/clients/${client.clientId}`;
      const updated = await op('PATCH', url, { grant_types: ['client_credentials', 'authorization_code', 'refresh_token'], redirect_uris: ['https://app.example.com/cb'], access_token_ttl: null, refresh_idle_ttl: '14d', refresh_grace: '0s' });
      assert.equal(updated.statusCode, 200, updated.body);
      const body = updated.json() as Record<string, unknown>;
      assert.deepEqual([body.grant_types, body.redirect_uris, body.access_token_ttl, body.refresh_idle_ttl, body.refresh_grace], [['client_credentials', 'authorization_code', 'refresh_token'], ['https://app.example.com/cb'], null, 1_209_600, 0]);
      const before = await getToken(f.t.app, client);
      assert.equal((await introspect(f.t.app, resourceServer, before)).active, true);
      assert.equal((await op('PATCH', url, { disabled: true })).json().disabled, true);
      assert.equal((await introspect(f.t.app, resourceServer, before)).active, false);
      assert.equal((await op('PATCH', url, { disabled: false })).json().disabled, false);
      const after = await getToken(f.t.app, client);
      assert.equal((await op('DELETE', url)).statusCode, 204);
      assert.equal((await introspect(f.t.app, resourceServer, after)).active, false);
      assertProblem(await op('GET', url), 404, 'not_found');
    });

    it('validation errors are problem+json naming the field, never a 500', async () => {
      const clients = `${V1}/tenants/acme/clients`;
      const cases: [string, string, unknown, string][] = [
        ['POST', clients, { name: 'App', nmae: 'typo' }, 'nmae'],
        ['POST', clients, {}, 'name'],
        ['POST', clients, { name: 42 }, 'name'],
        ['POST', clients, { name: 'App', grant_types: ['password'] }, 'grant_types/0'],
        ['POST', clients, { name: 'App', redirect_uris: ['not a uri'] }, 'redirect_uris'],
        ['POST', clients, { name: 'App', scope: 'a,b' }, 'scope'],
        ['POST', clients, { name: 'App', access_token_ttl: '10 parsecs' }, 'access_token_ttl'],
        ['POST', clients, { name: 'App', access_token_ttl: '99y' }, 'access_token_ttl'],
        ['POST', `${V1}/tenants`, { slug: 'Not A Slug' }, 'slug'],
        ['POST', `${V1}/tenants/acme/users`, { username: 'someone', password: 'short' }, 'password'],
        ['PUT', `${V1}/tenants/acme/scopes/files:read`, { description: '' }, 'description'],
        ['GET', `${clients}?limit=0`, undefined, 'limit'],
        ['GET', `${clients}?limit=many`, undefined, 'limit'],
        ['GET', `${clients}?cursor=not-a-cursor!`, undefined, 'cursor'],
        ['GET', `${V1}/audit-events?action=nothing.happened`, undefined, 'action'],
        ['GET', `${V1}/audit-events?since=yesterday`, undefined, 'since'],
      ];
      for (const [method, url, body, field] of cases) {
        const response = await op(method, url, body);
        const problem = assertProblem(response, 400, 'invalid_request');
        assert.equal(problem.field, field, `${method} ${url} ${JSON.stringify(body)}: ${response.body}`);
      }
      const form = await f.t.app.inject({ method: 'POST', url: clients, headers: { authorization: `Bearer ${f.tokens.operator}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=App' });
      assertProblem(form, 415);
      const broken = await f.t.app.inject({ method: 'POST', url: clients, headers: { authorization: `Bearer ${f.tokens.operator}`, 'content-type': 'application/json' }, payload: '{"name":' });
      assertProblem(broken, 400, 'invalid_request');
      assertProblem(await op('GET', `${V1}/no-such-route`), 404, 'not_found');
    });

    it('lists are paged: following `next` to the end yields every item once', async () => {
      const names = Array.from({ length: 7 }, (_, index) => `paging:${index}`);
      for (const name of names) assert.equal((await op('PUT', `${V1}/tenants/globex/scopes/${name}`, { description: `Scope ${name}` })).statusCode, 200);
      const seen: string[] = [];
      let url: string | null = `${V1}/tenants/globex/scopes?limit=3`;
      let pages = 0;
      while (url !== null && pages < 10) {
        const page = (await op('GET', url)).json() as { items: { name: string }[]; next: string | null };
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((scope) => scope.name));
        url = page.next === null ? null : `${V1}/tenants/globex/scopes?limit=3&cursor=${encodeURIComponent(page.next)}`;
        pages += 1;
      }
      assert.deepEqual(seen.filter((name) => name.startsWith('paging:')), names);
      assert.equal(new Set(seen).size, seen.length);
      assert.ok(pages >= 3);
      const audit = (await op('GET', `${V1}/audit-events?limit=2`)).json() as { items: unknown[]; next: string | null };
      assert.equal(audit.items.length, 2);
      assert.equal(typeof audit.next, 'string');
      assert.equal((await op('GET', `${V1}/audit-events?limit=2&cursor=${encodeURIComponent(audit.next!)}`)).statusCode, 200);
    });

    it('users: membership, password reset, disabling, deletion (its grants revoked, audited); a shared user is changed by operators only', async () => {
      const username = unique('pat');
      assert.equal((await op('POST', `${V1}/tenants/acme/users`, { username, password: PASSWORD })).statusCode, 201);
      const added = await op('PUT', `${V1}/tenants/globex/users/${username}`);
      assert.deepEqual([added.statusCode, added.json().tenants], [201, ['acme', 'globex']]);
      assert.equal((await op('PUT', `${V1}/tenants/globex/users/${username}`)).statusCode, 200);
      // A tenant admin cannot attach another tenant's user: as unknown as one that does not exist.
      const stranger = unique('stranger');
      assert.equal((await op('POST', `${V1}/tenants/globex/users`, { username: stranger, password: PASSWORD })).statusCode, 201);
      const attach = await f.call(f.tokens.acme, 'PUT', `${V1}/tenants/acme/users/${stranger}`);
      const nobody = await f.call(f.tokens.acme, 'PUT', `${V1}/tenants/acme/users/${unique('nobody')}`);
      assertProblem(attach, 404, 'not_found');
      assertProblem(nobody, 404, 'not_found');
      assert.deepEqual((await op('GET', `${V1}/users/${stranger}`)).json().tenants, ['globex']);
      const asAcme = await f.call(f.tokens.acme, 'GET', `${V1}/users/${username}`);
      assert.deepEqual(asAcme.json().tenants, ['acme'], 'a tenant admin sees its own tenant only');
      assertProblem(await f.call(f.tokens.acme, 'PATCH', `${V1}/users/${username}`, { password: 'a brand new password' }), 403, 'forbidden');
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/users/${username}`), 403, 'forbidden');
      assert.equal((await op('DELETE', `${V1}/tenants/globex/users/${username}`)).statusCode, 204);
      assertProblem(await op('DELETE', `${V1}/tenants/acme/users/${username}`), 400, 'invalid_request');
      const reset = await f.call(f.tokens.acme, 'PATCH', `${V1}/users/${username}`, { password: 'a brand new password', disabled: true });
      assert.deepEqual([reset.statusCode, reset.json().disabled], [200, true]);
      assert.ok(!reset.body.includes('brand new'));
      assert.equal((await f.call(f.tokens.acme, 'DELETE', `${V1}/users/${username}`)).statusCode, 204);
      assertProblem(await op('GET', `${V1}/users/${username}`), 404, 'not_found');
      const events = (await op('GET', `${V1}/audit-events?action=user.delete`)).json() as { items: { actor: string; target: string }[] };
      assert.deepEqual(events.items.map((event) => [event.actor, event.target]), [[f.acmeAdmin.clientId, username]]);
    });

    it('operator clients: created with a secret, listed, their tokens reach the admin API; deleting one revokes its tokens', async () => {
      const created = await op('POST', `${V1}/operator-clients`, { name: 'CI robot', access_token_ttl: '15m' });
      assert.equal(created.statusCode, 201, created.body);
      const robot = created.json() as { client_id: string; client_secret: string; tenant: null; operator: boolean; access_token_ttl: number };
      assert.deepEqual([robot.tenant, robot.operator, robot.access_token_ttl], [null, true, 900]);
      const listed = (await op('GET', `${V1}/operator-clients`)).json() as { items: { client_id: string }[] };
      assert.ok(listed.items.some((client) => client.client_id === robot.client_id));
      assert.ok(!JSON.stringify(listed).includes(robot.client_secret));
      const token = await getToken(f.t.app, { clientId: robot.client_id, secret: robot.client_secret, tenant: '' });
      assert.equal((await f.call(token, 'GET', `${V1}/keys`)).statusCode, 200);
      assert.equal((await op('DELETE', `${V1}/operator-clients/${robot.client_id}`)).statusCode, 204);
      assertProblem(await f.call(token, 'GET', `${V1}/keys`), 401, 'invalid_token');
      assertProblem(await op('GET', `${V1}/operator-clients/${f.acmeAdmin.clientId}`), 404, 'not_found');
    });

    it('signing keys: rotate (201), list, withdraw a retired key (204: it leaves the list); the active key is 409, an unknown one 404', async () => {
      const first = (await op('POST', `${V1}/keys/rotate`, { alg: 'RS256' })).json() as { kid: string; alg: string };
      assert.equal(first.alg, 'RS256');
      assertProblem(await op('POST', `${V1}/keys/${first.kid}/withdraw`), 409, 'conflict');
      assert.equal((await op('POST', `${V1}/keys/rotate`)).statusCode, 201);
      const keys = (await op('GET', `${V1}/keys`)).json() as { items: { kid: string; active: boolean }[] };
      assert.equal(keys.items.filter((key) => key.active).length, 1);
      assert.equal((await op('POST', `${V1}/keys/${first.kid}/withdraw`)).statusCode, 204);
      assert.ok(!((await op('GET', `${V1}/keys`)).json() as { items: { kid: string }[] }).items.some((key) => key.kid === first.kid));
      assertProblem(await op('POST', `${V1}/keys/no-such-kid/withdraw`), 404, 'not_found');
    });
  });
}

describe('admin API with the storage down', () => {
  let f: AdminApiFixture;
  before(async () => {
    f = await openAdminApi(SQLITE_TARGET);
  });
  after(() => f?.close());

  it('answers 503 temporarily_unavailable with Retry-After as a problem, never a 500', async () => {
    await (f.t.gatehouse.storage as SqlStorage).db.destroy();
    const response = await f.call(f.tokens.operator, 'GET', `${V1}/tenants`);
    assertProblem(response, 503, 'temporarily_unavailable');
    assert.match(String(response.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.doesNotMatch(response.body, /sqlite|destroyed|select /i);
  });
});
