/**
 * Admin accounts through the admin API (fastify.inject), on SQLite and on PostgreSQL: a
 * tenant's admins and the operators listed, created (the password accepted, never shown)
 * and deleted (the account's dashboard session ends); a tenant admin manages its own
 * tenant's admins only (another tenant's: 404; an operator's name under its path: 404;
 * the operators: 403); every change audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieBrowser, csrfOf, locationOf } from '../../helpers/cookie-browser.js';
import { STORAGE_TARGETS } from '../../helpers/postgres.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from './helpers.js';

const PASSWORD = 'correct horse battery';

interface AccountJson {
  username: string;
  role: string;
  tenant: string | null;
  disabled: boolean;
  mfa: boolean;
  recovery_codes_left: number;
  created_at: string;
  last_sign_in_at: string | null;
}

for (const target of STORAGE_TARGETS) {
  describe(`admin API: admin accounts (${target.name})`, { skip: target.skip }, () => {
    let f: AdminApiFixture;
    before(async () => {
      f = await openAdminApi(target);
    });
    after(() => f?.close());

    /** Signs in to the dashboard; the browser then holds the admin session cookie. */
    async function signedIn(username: string): Promise<CookieBrowser> {
      const browser = new CookieBrowser(f.t.app);
      const form = await browser.get('/admin/login');
      locationOf(await browser.post('/admin/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD }), 303);
      assert.equal((await browser.get('/admin')).statusCode, 200);
      return browser;
    }

    it("a tenant's admins: created 201 without the password in the answer, listed, deleted 204 (its session ends), audited", async () => {
      const username = unique('Admin');
      const created = await f.call(f.tokens.operator, 'POST', `${V1}/tenants/acme/admins`, { username, password: PASSWORD });
      assert.equal(created.statusCode, 201, created.body);
      assert.ok(!created.body.includes(PASSWORD));
      const account = created.json() as AccountJson;
      assert.deepEqual({ ...account, created_at: '' }, { username, role: 'tenant_admin', tenant: 'acme', disabled: false, mfa: false, recovery_codes_left: 0, created_at: '', last_sign_in_at: null });
      assertProblem(await f.call(f.tokens.operator, 'POST', `${V1}/tenants/acme/admins`, { username: username.toUpperCase(), password: PASSWORD }), 409, 'conflict');
      assertProblem(await f.call(f.tokens.operator, 'POST', `${V1}/tenants/acme/admins`, { username: unique('a'), password: 'short' }), 400, 'invalid_request');
      assertProblem(await f.call(f.tokens.operator, 'POST', `${V1}/tenants/acme/admins`, { username: unique('a'), password: PASSWORD, tenant: 'globex' }), 400, 'invalid_request');

      const browser = await signedIn(username);
      const listed = (await f.call(f.tokens.acme, 'GET', `${V1}/tenants/acme/admins?limit=100`)).json() as { items: AccountJson[] };
      const mine = listed.items.find((item) => item.username === username);
      assert.ok(mine?.last_sign_in_at, 'the sign-in is shown');
      assert.ok(listed.items.every((item) => item.tenant === 'acme'));
      assert.ok(!JSON.stringify(listed).includes('password'));

      assert.equal((await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/acme/admins/${username.toLowerCase()}`)).statusCode, 204);
      locationOf(await browser.get('/admin'), 303);
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/acme/admins/${username}`), 404, 'not_found');
      const events = (await f.call(f.tokens.operator, 'GET', `${V1}/audit-events?action=admin.delete&limit=100`)).json() as { items: { target: string; outcome: string }[] };
      assert.ok(events.items.some((event) => event.target === username && event.outcome === 'success'));
    });

    it("a tenant admin manages its own tenant's admins only: another tenant's and the operators' are out of reach", async () => {
      const theirs = await f.t.gatehouse.admin.accounts.create({ tenant: 'globex', username: unique('globex-admin'), password: PASSWORD });
      const operator = await f.t.gatehouse.admin.accounts.create({ username: unique('op'), password: PASSWORD });
      assertProblem(await f.call(f.tokens.acme, 'GET', `${V1}/tenants/globex/admins`), 404, 'not_found');
      assertProblem(await f.call(f.tokens.acme, 'POST', `${V1}/tenants/globex/admins`, { username: unique('a'), password: PASSWORD }), 404, 'not_found');
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/globex/admins/${theirs.username}`), 404, 'not_found');
      // Another tenant's admin or an operator named under its own tenant's path: as if none.
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/acme/admins/${theirs.username}`), 404, 'not_found');
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/tenants/acme/admins/${operator.username}`), 404, 'not_found');
      // Not even an operator's call deletes an admin through another tenant's path.
      assertProblem(await f.call(f.tokens.operator, 'DELETE', `${V1}/tenants/acme/admins/${theirs.username}`), 404, 'not_found');
      for (const [method, url, body] of [['GET', `${V1}/operators`], ['POST', `${V1}/operators`, { username: unique('op'), password: PASSWORD }], ['DELETE', `${V1}/operators/${operator.username}`]] as const) {
        assertProblem(await f.call(f.tokens.acme, method, url, body), 403, 'forbidden');
      }
      const accounts = await f.t.gatehouse.admin.accounts.list();
      assert.ok(accounts.some((account) => account.username === theirs.username) && accounts.some((account) => account.username === operator.username));
    });

    it('operators: created 201, listed (operators only, paged), deleted 204; a tenant admin is not found under /operators', async () => {
      const usernames = [unique('op'), unique('op')];
      for (const username of usernames) {
        const created = await f.call(f.tokens.operator, 'POST', `${V1}/operators`, { username, password: PASSWORD });
        assert.equal(created.statusCode, 201, created.body);
        assert.deepEqual([created.json().role, created.json().tenant], ['operator', null]);
      }
      const seen: AccountJson[] = [];
      let url: string | null = `${V1}/operators?limit=1`;
      while (url) {
        const page = (await f.call(f.tokens.operator, 'GET', url)).json() as { items: AccountJson[]; next: string | null };
        seen.push(...page.items);
        url = page.next ? `${V1}/operators?limit=1&cursor=${encodeURIComponent(page.next)}` : null;
      }
      assert.ok(usernames.every((username) => seen.some((account) => account.username === username)));
      assert.ok(seen.every((account) => account.role === 'operator'));

      const browser = await signedIn(usernames[0]!);
      assert.equal((await f.call(f.tokens.operator, 'DELETE', `${V1}/operators/${usernames[0]}`)).statusCode, 204);
      locationOf(await browser.get('/admin'), 303);
      const tenantAdmin = await f.t.gatehouse.admin.accounts.create({ tenant: 'acme', username: unique('a'), password: PASSWORD });
      assertProblem(await f.call(f.tokens.operator, 'DELETE', `${V1}/operators/${tenantAdmin.username}`), 404, 'not_found');
    });
  });
}
