/**
 * @gatehouse-auth/resource across processes: a real `gatehouse serve`, the real CLI, and a
 * separate API process (test/e2e/fixtures/document-api.mjs) that imports the published
 * `@gatehouse-auth/resource` entry point and follows the server's JWKS and revocation feed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childEnv, cliJson, cliOk, REPO_ROOT, startSqliteServer, type ServerProcess, type SqliteServer } from '../helpers/process.js';
import { postForm } from '../helpers/http.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth, jwtHeader } from '../helpers/tokens.js';

interface Api {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function startApi(env: Record<string, string>): Promise<Api> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test/e2e/fixtures/document-api.mjs')], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the API process did not start: ${stderr}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /READY (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API process exited with ${code}: ${stderr}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

describe('a resource server in another process', () => {
  let gatehouse: SqliteServer;
  let db: string;
  let server: ServerProcess;
  let api: Api;
  let client: { client_id: string; client_secret: string };

  before(async () => {
    gatehouse = await startSqliteServer('gatehouse-rs-');
    ({ server, db } = gatehouse);
    await cliOk(['tenant', 'create', 'acme', '--db', db]);
    client = await cliJson(['client', 'create', '--tenant', 'acme', '--name', 'Integrator', '--scope', 'documents:read', '--default-scope', 'documents:read', '--json', '--db', db]);
    const rs = await cliJson<{ client_id: string; client_secret: string }>(['client', 'create', '--tenant', 'acme', '--name', 'Document API', '--resource-server', '--json', '--db', db]);
    api = await startApi({ ISSUER: server.url, RS_CLIENT_ID: rs.client_id, RS_CLIENT_SECRET: rs.client_secret });
  });

  after(async () => {
    if (api?.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await new Promise((resolve) => api.child.once('exit', resolve));
    }
    await gatehouse?.close();
  });

  const token = async (credentials = client) => {
    const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(credentials.client_id, credentials.client_secret) });
    assert.equal(response.status, 200, response.text);
    return (response.json as { access_token: string }).access_token;
  };
  const call = async (accessToken: string) => {
    const response = await fetch(`${api.url}/documents`, { headers: { authorization: `Bearer ${accessToken}` } });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.text() };
  };
  /** Milliseconds until the API refuses the token (fails the test after 3 s). */
  const msUntilRefused = async (accessToken: string, since: number) => {
    for (;;) {
      const { status, challenge } = await call(accessToken);
      if (status === 401) {
        assert.match(challenge ?? '', /error="invalid_token"/);
        return Date.now() - since;
      }
      assert.equal(status, 200);
      if (Date.now() - since > 3000) assert.fail('the revoked token was still accepted after 3 s');
      await sleep(20);
    }
  };

  it('accepts a Gatehouse token and answers RFC 6750 errors', async () => {
    const accessToken = await token();
    const ok = await call(accessToken);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { tenant: 'acme', documents: [] });
    const missing = await fetch(`${api.url}/documents`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), `Bearer realm="${server.url}"`);
  });

  it('refuses a token revoked with RFC 7009 within one second', async () => {
    const accessToken = await token();
    assert.equal((await call(accessToken)).status, 200);
    const revoked = await postForm(`${server.url}/oauth/revoke`, { token: accessToken }, { authorization: basicAuth(client.client_id, client.client_secret) });
    assert.equal(revoked.status, 200);
    const elapsed = await msUntilRefused(accessToken, Date.now());
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  it('refuses every earlier token within one second of `gatehouse client rotate-secret`', async () => {
    const accessToken = await token();
    assert.equal((await call(accessToken)).status, 200);
    const rotated = await cliJson<{ client_secret: string }>(['client', 'rotate-secret', client.client_id, '--json', '--db', db]);
    const elapsed = await msUntilRefused(accessToken, Date.now());
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    client = { ...client, client_secret: rotated.client_secret };
    assert.equal((await call(await token())).status, 200, 'tokens minted with the new secret work');
  });

  it('follows a signing-key rotation without restart, and a key withdrawal within one second', async () => {
    const before = await token();
    const oldKid = jwtHeader(before).kid as string;
    await cliOk(['keys', 'rotate', '--db', db]);
    // The server switches to the new key within a second.
    let after = before;
    for (let i = 0; i < 40 && jwtHeader(after).kid === oldKid; i++) {
      await sleep(100);
      after = await token();
    }
    assert.notEqual(jwtHeader(after).kid, oldKid, 'the server signs with the new key');
    assert.equal((await call(after)).status, 200, 'the API fetched the new key for its unknown kid');
    assert.equal((await call(before)).status, 200, 'tokens of the retired key stay valid');

    await cliOk(['keys', 'withdraw', oldKid, '--db', db]);
    const elapsed = await msUntilRefused(before, Date.now());
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal((await call(after)).status, 200);
  });
});
