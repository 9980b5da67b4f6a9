/**
 * Redirect URIs at registration (issue 16): https, loopback http (RFC 8252 §7.3) and
 * private-use schemes in reverse-domain form (RFC 8252 §7.1) only, refused with a message
 * naming the URI and the rule on all three surfaces (CLI, admin API, dashboard). A client
 * stored under the earlier rule keeps working and `client show` warns about it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { redirectUriProblem } from '../../packages/server/src/core/redirect-uri.js';
import { cliJson, cliOk, runCli } from '../cli/in-process.js';
import { signInToDashboard } from '../helpers/dashboard.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';
import { SQLITE_TARGET } from '../helpers/postgres.js';
import { assertProblem, openAdminApi, V1, type AdminApiFixture } from '../server/admin-api/helpers.js';

const ACCEPTED = [
  'https://app.example.com/cb',
  'https://app.example.com:8443/cb?x=1',
  'https://10.0.0.1/cb',
  'http://127.0.0.1/cb',
  'http://127.0.0.1:51004/cb',
  'http://[::1]:8080/cb',
  'http://localhost:3000/cb',
  'com.example.app:/oauth2redirect',
  'com.example.app://callback',
];

const REFUSED: [string, RegExp][] = [
  ['http://app.example/cb', /http is allowed only on a loopback host/],
  ['http://10.0.0.1/cb', /http is allowed only on a loopback host/],
  ['http://localhost./cb', /http is allowed only on a loopback host/],
  ['http://127.0.0.1.nip.io/cb', /http is allowed only on a loopback host/],
  ['https://*.example.com/cb', /wildcards/],
  ['https://app.example.com/*', /wildcards/],
  ['vbscript:x', /scheme vbscript: is not allowed/],
  ['javascript:alert(1)', /scheme javascript: is not allowed/],
  ['data:text/html,x', /scheme data: is not allowed/],
  ['file:///etc/passwd', /scheme file: is not allowed/],
  ['ftp://app.example.com/cb', /scheme ftp: is not allowed/],
  ['myapp:/cb', /scheme myapp: is not allowed.*reverse domain/],
  ['https://user:pass@app.example/cb', /user name or password/],
  ['https://user@app.example/cb', /user name or password/],
  ['https://app.example/../cb', /'\.' or '\.\.' path segments/],
  ['https://app.example/a/%2e%2e/cb', /'\.' or '\.\.' path segments/],
  ['https://app.example/./cb', /'\.' or '\.\.' path segments/],
  ['https://app.example/c b', /percent-encoded/],
  ['https://app.example/c\\b', /percent-encoded/],
  ['https://app.example/cb"', /percent-encoded/],
  ['https://app.exämple/cb', /percent-encoded/],
  ['https://app.example/cb#frag', /fragment/],
  ['/relative/cb', /absolute URI/],
  ['not a uri', /percent-encoded|absolute URI/],
];

describe('redirect URI rule (core/redirect-uri.ts)', () => {
  for (const uri of ACCEPTED) {
    it(`accepts ${uri}`, () => assert.equal(redirectUriProblem(uri), undefined));
  }
  for (const [uri, rule] of REFUSED) {
    it(`refuses ${uri}`, () => assert.match(redirectUriProblem(uri) ?? 'accepted', rule));
  }
});

describe('redirect URIs at registration, on every surface', () => {
  let dir: string;
  let db: string;
  let api: AdminApiFixture;
  let t: TestGatehouse;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-redirect-uris-'));
    db = `sqlite:${join(dir, 'g.db')}`;
    await cliOk(['migrate', '--db', db]);
    await cliOk(['tenant', 'create', 'acme', '--db', db]);
    api = await openAdminApi(SQLITE_TARGET);
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme' });
    await t.gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: 'dashboard-password-1' });
  });
  after(async () => {
    await api?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (uri: string) => runCli(['client', 'create', '--tenant', 'acme', '--name', 'App', '--grant-type', 'authorization_code', '--redirect-uri', uri, '--db', db]);

  it('the CLI refuses each with a message naming the URI and the rule, and accepts the good ones', async () => {
    for (const [uri, rule] of REFUSED) {
      const result = await create(uri);
      assert.notEqual(result.code, 0, uri);
      assert.ok(result.stderr.includes(JSON.stringify(uri)), `${uri}: ${result.stderr}`);
      assert.match(result.stderr, rule, uri);
    }
    for (const uri of ACCEPTED) assert.equal((await create(uri)).code, 0, uri);
  });

  it('the admin API refuses each as a problem naming redirect_uris', async () => {
    for (const [uri, rule] of REFUSED) {
      const response = await api.call(api.tokens.operator, 'POST', `${V1}/tenants/acme/clients`, { name: 'App', grant_types: ['authorization_code'], redirect_uris: [uri] });
      const problem = assertProblem(response, 400, 'invalid_request');
      assert.equal(problem.field, 'redirect_uris', uri);
      assert.match(String(problem.detail), rule, uri);
    }
  });

  it('the dashboard refuses each on the new-client form', async () => {
    const operator = await signInToDashboard(t, 'olivia', 'dashboard-password-1');
    for (const [uri] of REFUSED.filter(([value]) => !/\s/.test(value))) {
      const body = new URLSearchParams([['name', 'App'], ['grant_type', 'authorization_code'], ['redirect_uris', uri], ['csrf_token', operator.csrf]]);
      const response = await postForm(t.app, '/admin/tenants/acme/clients/new', body.toString(), { cookie: operator.cookie });
      assert.equal(response.statusCode, 400, `${uri}: ${response.statusCode}`);
      assert.match(response.body, /role="alert">invalid redirect URI/, uri);
    }
  });

  it('a client stored under the earlier rule keeps its URI through an update, and client show warns', async () => {
    const created = await cliJson<{ client_id: string }>(['client', 'create', '--tenant', 'acme', '--name', 'Legacy', '--grant-type', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb', '--db', db]);
    const sqlite = new Database(join(dir, 'g.db'));
    sqlite.prepare('UPDATE clients SET redirect_uris = ? WHERE id = ?').run(JSON.stringify(['http://app.example/cb']), created.client_id);
    sqlite.close();

    const renamed = await cliJson<{ redirect_uris: string[] }>(['client', 'update', created.client_id, '--name', 'Legacy renamed', '--db', db]);
    assert.deepEqual(renamed.redirect_uris, ['http://app.example/cb']);
    const shown = await cliOk(['client', 'show', created.client_id, '--db', db]);
    assert.match(shown.stdout, /redirect_uris: http:\/\/app\.example\/cb/);
    assert.match(shown.stderr, /warning: redirect URI "http:\/\/app\.example\/cb" would be refused today \(http is allowed only on a loopback host/);
    const good = await cliOk(['client', 'show', (await cliJson<{ client_id: string }>(['client', 'create', '--tenant', 'acme', '--name', 'Good', '--redirect-uri', 'https://app.example.com/cb', '--db', db])).client_id, '--db', db]);
    assert.equal(good.stderr, '');
  });
});
