/**
 * Ending a user's sign-in sessions from the admin API, through HTTP (fastify.inject), on
 * SQLite and on PostgreSQL: DELETE /users/{username}/sessions signs the user out of
 * /account (200 with how many sessions ended, audited as user.revoke_sessions); a password
 * reset or disabling through PATCH /users/{username} signs the user out too; a tenant
 * admin reaches a user of its own tenant only, and a user who also belongs to another
 * tenant not at all (403).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieBrowser, csrfOf, locationOf } from '../../helpers/cookie-browser.js';
import { STORAGE_TARGETS } from '../../helpers/postgres.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from './helpers.js';

const PASSWORD = 'correct horse battery';

for (const target of STORAGE_TARGETS) {
  describe(`admin API: ending a user's sign-in sessions (${target.name})`, { skip: target.skip }, () => {
    let f: AdminApiFixture;
    before(async () => {
      f = await openAdminApi(target);
    });
    after(() => f?.close());

    async function newUser(alsoIn?: string): Promise<string> {
      const { username } = await f.t.gatehouse.admin.users.create({ tenant: 'acme', username: unique('user'), password: PASSWORD });
      if (alsoIn) await f.t.gatehouse.admin.users.addToTenant(username, alsoIn);
      return username;
    }

    async function signedIn(username: string): Promise<CookieBrowser> {
      const browser = new CookieBrowser(f.t.app);
      const form = await browser.get('/account');
      locationOf(await browser.post('/account/login', { csrf_token: csrfOf(form.body), username, password: PASSWORD }), 303);
      assert.equal(await isSignedIn(browser), true);
      return browser;
    }
    const isSignedIn = async (browser: CookieBrowser) => /Signed in as/.test((await browser.get('/account')).body);

    it('DELETE /users/{username}/sessions signs the user out of every browser: 200 {"ended": n}, audited', async () => {
      const username = await newUser();
      const first = await signedIn(username);
      const second = await signedIn(username);
      const response = await f.call(f.tokens.operator, 'DELETE', `${V1}/users/${username}/sessions`);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { ended: 2 });
      assert.equal(await isSignedIn(first), false);
      assert.equal(await isSignedIn(second), false);
      const events = (await f.call(f.tokens.operator, 'GET', `${V1}/audit-events?action=user.revoke_sessions&limit=1000`)).json() as { items: { target: string; details: Record<string, unknown> }[] };
      assert.ok(events.items.some((event) => event.target === username && event.details.sessions === 2));
      // Nothing left to end: still 200.
      assert.deepEqual((await f.call(f.tokens.operator, 'DELETE', `${V1}/users/${username}/sessions`)).json(), { ended: 0 });
    });

    it("a tenant admin ends the sessions of its tenant's user; not of one who also belongs to another tenant (403), nor of another tenant's (404)", async () => {
      const own = await newUser();
      const browser = await signedIn(own);
      const response = await f.call(f.tokens.acme, 'DELETE', `${V1}/users/${own}/sessions`);
      assert.deepEqual([response.statusCode, response.json()], [200, { ended: 1 }]);
      assert.equal(await isSignedIn(browser), false);

      const shared = await newUser('globex');
      const sharedBrowser = await signedIn(shared);
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/users/${shared}/sessions`), 403, 'forbidden');
      assert.equal(await isSignedIn(sharedBrowser), true);

      const { username: theirs } = await f.t.gatehouse.admin.users.create({ tenant: 'globex', username: unique('user'), password: PASSWORD });
      assertProblem(await f.call(f.tokens.acme, 'DELETE', `${V1}/users/${theirs}/sessions`), 404, 'not_found');
      assertProblem(await f.call(f.tokens.operator, 'DELETE', `${V1}/users/nobody-here/sessions`), 404, 'not_found');
    });

    it('PATCH /users/{username} with a new password or disabled: true ends the sessions too', async () => {
      const reset = await newUser();
      const resetBrowser = await signedIn(reset);
      assert.equal((await f.call(f.tokens.operator, 'PATCH', `${V1}/users/${reset}`, { password: 'a brand new passphrase' })).statusCode, 200);
      assert.equal(await isSignedIn(resetBrowser), false);

      const disabled = await newUser();
      const disabledBrowser = await signedIn(disabled);
      assert.equal((await f.call(f.tokens.acme, 'PATCH', `${V1}/users/${disabled}`, { disabled: true })).statusCode, 200);
      assert.equal(await isSignedIn(disabledBrowser), false);
    });
  });
}
