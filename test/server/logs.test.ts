/**
 * The log of a listening server (docs/operations.md, "Logs"), captured at trace level while
 * the main flows run: a request id on every line of a request, the revocation-feed polls at
 * debug level, and no secret, token, code, password or Authorization header anywhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server/serve.js';
import { caller, createTenantClient, uploadOk } from '../demo/helpers.js';
import { createClient, TEST_ISSUER, type TestClient } from '../helpers/gatehouse.js';
import { FORM, form } from '../helpers/http.js';
import { waitFor } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';
import { issueCode, REDIRECT_URI } from '../helpers/user-delegation.js';

const PASSWORD = 'correct horse battery staple 7f2c';

describe('server logs', () => {
  let dir: string;
  let server: RunningServer;
  const lines: Record<string, unknown>[] = [];
  /** Every secret, token, code, password and Authorization value the flows used. */
  const secrets: string[] = [PASSWORD];

  const post = async (path: string, body: Record<string, string>, headers: Record<string, string> = {}) => {
    if (headers.authorization) secrets.push(headers.authorization, headers.authorization.split(' ')[1]!);
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: form(body), redirect: 'manual' });
    const text = await response.text();
    return { response, text, json: () => JSON.parse(text) as Record<string, string> };
  };
  const basic = (client: TestClient) => ({ authorization: basicAuth(client.clientId, client.secret) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-logs-'));
    const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, dataDir: dir, host: '127.0.0.1', port: 0, issuer: TEST_ISSUER });
    server = await startServer(config, { env: {}, logger: { level: 'trace', stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } } });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('echoes a valid X-Request-Id and logs every line of the request with it, audit lines included; replaces an invalid one', async () => {
    const { gatehouse } = server;
    const operator = await gatehouse.admin.operatorClients.create({ name: 'Automation' });
    const admin: TestClient = { clientId: operator.client.id, secret: operator.secret!, tenant: '' };
    secrets.push(admin.secret);
    const tokenResponse = await post('/oauth/token', { grant_type: 'client_credentials', scope: 'gatehouse:admin' }, basic(admin));
    assert.equal(tokenResponse.response.status, 200, tokenResponse.text);
    const adminToken = tokenResponse.json().access_token!;
    secrets.push(adminToken);
    await gatehouse.admin.tenants.create({ slug: 'acme' });

    const requestId = 'lb-4f1d9c2a.7/x=';
    const created = await fetch(`${server.url}/admin/api/v1/tenants/acme/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ name: 'Created through the admin API' }),
    });
    const body = (await created.json()) as { client_secret?: string };
    assert.equal(created.status, 201, JSON.stringify(body));
    secrets.push(`Bearer ${adminToken}`, body.client_secret!);
    assert.equal(created.headers.get('x-request-id'), requestId);

    const ofRequest = lines.filter((line) => line.reqId === requestId);
    assert.ok(ofRequest.some((line) => line.msg === 'request completed'), JSON.stringify(ofRequest));
    assert.ok(ofRequest.some((line) => line.msg === 'audit'), `the audit line of the change carries the request id: ${JSON.stringify(lines.filter((line) => line.msg === 'audit'))}`);

    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', 'ünïcode', '']) {
      const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
      await response.arrayBuffer();
      const echoed = response.headers.get('x-request-id');
      assert.match(echoed ?? '', /^[0-9a-f-]{36}$/, `"${bad}" is replaced by a fresh id`);
      assert.ok(lines.some((line) => line.reqId === echoed));
    }
    const plain = await fetch(`${server.url}/healthz`);
    await plain.arrayBuffer();
    assert.match(plain.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'a request without one gets one');
    // Errors raised before routing carry it too.
    const malformed = await fetch(`${server.url}/oauth/%zz`, { headers: { 'x-request-id': 'malformed-1' } });
    await malformed.arrayBuffer();
    assert.equal(malformed.headers.get('x-request-id'), 'malformed-1');
  });

  it('logs successful revocation-feed polls at debug level, other requests at info', async () => {
    const rs = await createClient(server.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
    secrets.push(rs.secret);
    const poll = await fetch(`${server.url}/oauth/revocations?since=0`, { headers: { authorization: basicAuth(rs.clientId, rs.secret), 'x-request-id': 'poll-1' } });
    assert.equal(poll.status, 200, await poll.text());
    secrets.push(basicAuth(rs.clientId, rs.secret));
    const access = lines.find((line) => line.reqId === 'poll-1' && line.msg === 'request completed');
    assert.equal(access?.level, 20, JSON.stringify(access));
    const health = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'health-1' } });
    await health.arrayBuffer();
    assert.equal(lines.find((line) => line.reqId === 'health-1' && line.msg === 'request completed')?.level, 30);
  });

  it('never logs a secret, token, code, password, Authorization value or download-link id (trace level, main flows)', async () => {
    const { gatehouse, app } = server;
    const m2m = await createClient(gatehouse, { tenant: 'acme', name: 'M2M' });
    const webApp = await createClient(gatehouse, { tenant: 'acme', name: 'Web app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
    const rs = await createClient(gatehouse, { tenant: 'provider', name: 'Introspector', resourceServer: true });
    secrets.push(m2m.secret, webApp.secret, rs.secret);

    // client_credentials: HTTP Basic, and the secret in the body (RFC 6749 §2.3.1).
    const basicToken = await post('/oauth/token', { grant_type: 'client_credentials' }, basic(m2m));
    assert.equal(basicToken.response.status, 200, basicToken.text);
    const bodyToken = await post('/oauth/token', { grant_type: 'client_credentials', client_id: m2m.clientId, client_secret: m2m.secret });
    assert.equal(bodyToken.response.status, 200, bodyToken.text);
    const wrongSecret = `${m2m.secret.slice(0, -4)}XXXX`;
    secrets.push(wrongSecret);
    assert.equal((await post('/oauth/token', { grant_type: 'client_credentials', client_id: m2m.clientId, client_secret: wrongSecret })).response.status, 401);
    const accessToken = basicToken.json().access_token!;
    secrets.push(accessToken, bodyToken.json().access_token!);

    // Authorization code + PKCE (RFC 7636), refresh, a replayed code.
    const user = await gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: PASSWORD });
    const { code, verifier } = await issueCode(gatehouse, { clientId: webApp.clientId, userId: user.id, tenants: ['acme'] });
    secrets.push(code, verifier!);
    const exchanged = await post('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier!, tenant: 'acme' }, basic(webApp));
    assert.equal(exchanged.response.status, 200, exchanged.text);
    const pair = exchanged.json();
    secrets.push(pair.access_token!, pair.refresh_token!);
    const refreshed = await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: pair.refresh_token!, tenant: 'acme' }, basic(webApp));
    assert.equal(refreshed.response.status, 200, refreshed.text);
    secrets.push(refreshed.json().access_token!, refreshed.json().refresh_token!);
    assert.equal((await post('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier! }, basic(webApp))).response.status, 400);

    // Introspection (RFC 7662) and revocation (RFC 7009).
    const introspected = await post('/oauth/introspect', { token: accessToken }, basic(rs));
    assert.equal(introspected.json().active, true, introspected.text);
    assert.equal((await post('/oauth/revoke', { token: refreshed.json().refresh_token!, token_type_hint: 'refresh_token' }, basic(webApp))).response.status, 200);
    assert.equal((await post('/oauth/revoke', { token: accessToken }, basic(m2m))).response.status, 200);

    // A bearer token in the query string of a route that does not take one.
    const tracer = await fetch(`${server.url}/.well-known/jwks.json?access_token=${accessToken}`);
    await tracer.arrayBuffer();

    // The dashboard's login form: a wrong password, then the right one.
    await gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: PASSWORD });
    for (const password of [`${PASSWORD}-wrong`, PASSWORD]) {
      secrets.push(password);
      const page = await fetch(`${server.url}/admin/login`);
      const html = await page.text();
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;
      const cookie = page.headers.getSetCookie().map((value) => value.split(';', 1)[0]).join('; ');
      const login = await post('/admin/login', { csrf_token: csrf, username: 'olivia', password }, { cookie });
      assert.equal(login.response.status, password === PASSWORD ? 303 : 401, login.text);
      // The session cookies it sets (a cleared one is empty).
      for (const set of login.response.headers.getSetCookie()) {
        const value = set.split(';', 1)[0]!.split('=').slice(1).join('=');
        if (value !== '') secrets.push(value);
      }
    }

    // The demo document API's public download link: its id is the bearer secret.
    const owner = await createTenantClient(gatehouse, 'docs-tenant', 'Docs');
    secrets.push(owner.secret);
    const who = await caller(app, owner);
    secrets.push(who.token);
    const fileId = await uploadOk(app, who, 'signed contract', 'contract.txt');
    const published = await app.inject({ method: 'POST', url: `/api/files/${fileId}/publish`, headers: who.headers() });
    const downloadUrl = (published.json() as { download_url: string }).download_url;
    const linkId = /\/files\/([^/]+)\/download$/.exec(downloadUrl)![1]!;
    secrets.push(linkId);
    const download = await fetch(`${server.url}/files/${linkId}/download`);
    assert.equal(await download.text(), 'signed contract');
    const missing = await fetch(`${server.url}/files/${linkId}x/download`);
    await missing.arrayBuffer();
    // Fastify decodes the path before routing: a percent-encoded spelling is the same link.
    const encoded = await fetch(`${server.url}/%66iles/${linkId}/download`, { headers: { 'x-request-id': 'encoded-download' } });
    assert.equal(await encoded.text(), 'signed contract');
    // Its access-log line is written once the response has gone: wait for it.
    await waitFor('the access-log line of the encoded download', async () => (lines.some((line) => line.reqId === 'encoded-download' && line.msg === 'request completed') ? true : undefined));

    const log = lines.map((line) => JSON.stringify(line)).join('\n');
    assert.ok(lines.some((line) => line.level === 10 || line.level === 20), 'trace and debug lines were captured');
    assert.ok(log.includes('"path":"/files/[redacted]/download"'), 'the download link is logged, redacted');
    assert.ok(log.includes('"path":"/oauth/token"'));
    for (const secret of new Set(secrets)) {
      assert.ok(secret.length >= 8, `a secret worth looking for: ${secret}`);
      assert.ok(!log.includes(secret), `the log contains a secret the test used (${secret.slice(0, 12)}…): ${lines.map((line) => JSON.stringify(line)).find((line) => line.includes(secret))?.slice(0, 600)}`);
    }
    // The signature of every JWT (the part that makes it a credential), on its own.
    for (const secret of secrets.filter((value) => value.split('.').length === 3)) assert.ok(!log.includes(secret.split('.')[2]!));
    assert.ok(!/"authorization"\s*:/i.test(log), 'no Authorization header is logged');
    assert.ok(!/access_token=|client_secret|refresh_token=|code_verifier|"password"/i.test(log), 'no credential parameter is logged');
  });
});
