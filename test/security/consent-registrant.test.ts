/**
 * Issue 16 (Low): the consent page says which organisation registered the application,
 * above all when a client of tenant A asks a user of tenant B, escaped like every value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consentPage } from '../../packages/server/src/web/pages.js';
import { CookieBrowser, csrfOf } from '../helpers/cookie-browser.js';
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { pkcePair } from '../helpers/tokens.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery';

describe('the consent page names who registered the application', () => {
  let t: TestGatehouse;
  let app: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme <Corp> & "Sons"' });
    await t.gatehouse.admin.tenants.create({ slug: 'globex', name: 'Globex Inc' });
    app = await createClient(t.gatehouse, { tenant: 'acme', name: 'Invoice App', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
    await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
    await t.gatehouse.admin.users.create({ tenant: 'globex', username: 'bob', password: PASSWORD });
  });
  after(() => t.close());

  const consentPageFor = async (username: string): Promise<string> => {
    const browser = new CookieBrowser(t.app);
    const { challenge } = pkcePair();
    const query = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', prompt: 'consent', code_challenge: challenge, code_challenge_method: 'S256' };
    const start = await browser.get(`/oauth/authorize?${new URLSearchParams(query)}`);
    assert.equal(start.statusCode, 200, start.body.slice(0, 300));
    let response = await browser.post('/oauth/authorize/login', { csrf_token: csrfOf(start.body), username, password: PASSWORD });
    if (response.statusCode === 302 || response.statusCode === 303) response = await browser.get(String(response.headers.location));
    assert.equal(response.statusCode, 200, response.body.slice(0, 300));
    assert.match(response.body, /Authorize Invoice App/);
    return response.body;
  };

  it("names the client's tenant, escaped, and warns a user of another tenant", async () => {
    const page = await consentPageFor('bob');
    assert.ok(page.includes('Registered by the organisation <strong>Acme &lt;Corp&gt; &amp; &quot;Sons&quot;</strong>'), page);
    assert.ok(page.includes('(acme)'));
    assert.match(page, /class="registrant warning"/);
    assert.match(page, /You are not a member of this organisation/);
    assert.ok(!page.includes('Acme <Corp>'), 'never unescaped');
  });

  it("names the tenant without the warning for a member of it", async () => {
    const page = await consentPageFor('alice');
    assert.ok(page.includes('Registered by the organisation <strong>Acme &lt;Corp&gt; &amp; &quot;Sons&quot;</strong>'));
    assert.doesNotMatch(page, /You are not a member of this organisation/);
  });

  it('names the deployment for an operator client (no tenant)', () => {
    const page = consentPage({
      clientName: 'Console',
      tenantSlug: null,
      registeredBy: { name: 'Docuvault <ID>', slug: null, foreign: false },
      redirectHost: 'console.example.com',
      username: 'alice',
      scopes: [],
      tenants: [],
      checkedTenants: [],
      csrfToken: 'x',
    });
    assert.ok(page.includes('Registered by <strong>Docuvault &lt;ID&gt;</strong>, the operator of this service.'));
  });
});
