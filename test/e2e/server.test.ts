/**
 * End-to-end tests against REAL listening `gatehouse serve` processes (node
 * bin/gatehouse.js), driven with real HTTP (fetch and the curl binary) and the real CLI
 * on the same database, as an operator and an integrator would.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startServer, startSqliteServer, type ServerProcess, type SqliteServer } from '../helpers/process.js';
import { curl, getUrl, postForm } from '../helpers/http.js';
import { waitFor } from '../helpers/timing.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';
import { credentialsOf, getToken, INACTIVE, introspect, jwks, tokenRequest, type CreatedClient, type Credentials } from './server-requests.js';

describe('gatehouse serve: one real server process on SQLite', () => {
  let sqlite: SqliteServer;
  let dir: string;
  let db: string;
  let server: ServerProcess;
  let integrator: Credentials;
  /** Every secret and token seen by these tests: none may ever reach the log. */
  const secrets: string[] = [];
  const tokens: string[] = [];

  const cli = (...args: string[]) => sqlite.cli(args);
  const cliObject = <T = Record<string, unknown>>(...args: string[]) => sqlite.cliJson<T>(args);

  before(async () => {
    sqlite = await startSqliteServer('gatehouse-e2e-');
    ({ dir, db, server } = sqlite);
    await cli('tenant', 'create', 'acme', '--name', 'Acme');
    integrator = credentialsOf(
      await cliObject<CreatedClient>(
        'client', 'create', '--tenant', 'acme', '--name', 'Integrator',
        '--scope', 'documents:read documents:write', '--default-scope', 'documents:read', '--access-token-ttl', '12h',
      ),
    );
    secrets.push(integrator.secret);
  });

  after(async () => {
    await server?.stop(); // the one restarted below, when it was
    await sqlite?.close();
  });

  it('first start: logs where the master key file is (created 0600) and that a signing key was generated', async () => {
    const lines = server.logLines();
    const masterKeyFile = join(dir, 'master.key');
    const masterLine = lines.find((line) => line.masterKeyFile === masterKeyFile);
    assert.ok(masterLine, `the log names the master key file ${masterKeyFile}:\n${server.stdout()}`);
    assert.match(String(masterLine.msg), /generated a new master key/);
    assert.equal(statSync(masterKeyFile).mode & 0o777, 0o600);

    const keyLine = lines.find((line) => typeof line.kid === 'string' && /signing key/.test(String(line.msg)));
    assert.ok(keyLine, `the log says a signing key was generated:\n${server.stdout()}`);
    assert.match(String(keyLine.msg), /generated/);

    const published = await jwks(server);
    assert.deepEqual(
      published.keys.map((key) => key.kid),
      [keyLine.kid],
      'the JWKS publishes the generated key',
    );
    for (const key of published.keys) assert.ok(!('d' in key) && !('p' in key), 'no private key material in the JWKS');
  });

  it('starts without a warning on stderr (no deprecated option of a dependency)', () => {
    assert.doesNotMatch(server.stderr(), /Warning|FSTDEP/, `stderr of gatehouse serve:\n${server.stderr()}`);
  });

  it('curl, client_secret_post: curl -s -X POST $ISSUER/oauth/token -H "Content-Type: …" -d "grant_type=client_credentials&client_id=ID&client_secret=SECRET"', async () => {
    const issuer = server.url;
    const response = await curl([
      '-s', '-i', '-X', 'POST', `${issuer}/oauth/token`,
      '-H', 'Content-Type: application/x-www-form-urlencoded',
      '-d', `grant_type=client_credentials&client_id=${integrator.id}&client_secret=${integrator.secret}`,
    ]);
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.match(response.headers['content-type'] ?? '', /^application\/json/);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 43_200, 'the client was created with --access-token-ttl 12h');
    assert.equal(body.scope, 'documents:read', 'the default scope');
    assert.ok(!('refresh_token' in body), 'client_credentials issues no refresh token');
    const token = body.access_token as string;
    tokens.push(token);

    // The token verifies against the server's own JWKS as an RFC 9068 access token.
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await jwks(server)), {
      issuer,
      audience: `${issuer}/api`,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.client_id, integrator.id);
    assert.equal(payload.sub, integrator.id);
    assert.equal(payload.tenant, 'acme');
    assert.equal(payload.scope, 'documents:read');
    assert.equal(payload.exp! - payload.iat!, 43_200);
  });

  it('curl, client_secret_basic: curl -s -X POST $ISSUER/oauth/token -u ID:SECRET -d "grant_type=client_credentials&scope=documents:read documents:write"', async () => {
    const issuer = server.url;
    const response = await curl([
      '-s', '-i', '-X', 'POST', `${issuer}/oauth/token`,
      '-u', `${integrator.id}:${integrator.secret}`,
      '-d', 'grant_type=client_credentials&scope=documents:read documents:write',
    ]);
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    const body = JSON.parse(response.body) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 43_200);
    assert.equal(body.scope, 'documents:read documents:write');
    tokens.push(body.access_token as string);
    assert.equal(jwtPayload(body.access_token as string).scope, 'documents:read documents:write');
  });

  it('curl with a wrong secret: 401 invalid_client, no-store, a Basic challenge', async () => {
    const response = await curl(['-s', '-i', '-X', 'POST', `${server.url}/oauth/token`, '-u', `${integrator.id}:gatehouse_secret_wrong`, '-d', 'grant_type=client_credentials']);
    assert.equal(response.status, 401);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(response.headers['www-authenticate'] ?? '', /^Basic /);
    assert.equal((JSON.parse(response.body) as Record<string, unknown>).error, 'invalid_client');
  });

  it('rejects client_secret in the URL query string with 400 invalid_request', async () => {
    const response = await postForm(
      `${server.url}/oauth/token?client_secret=${encodeURIComponent(integrator.secret)}`,
      { grant_type: 'client_credentials', client_id: integrator.id },
    );
    assert.equal(response.status, 400, response.text);
    assert.equal(response.json?.error, 'invalid_request');
    assert.match(String(response.json?.error_description), /query string/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.ok(!('access_token' in (response.json ?? {})));
  });

  it('the CLI works on the same database while the server runs: a client it creates gets a token at once; disabling it takes effect at once', async () => {
    const created = credentialsOf(await cliObject<CreatedClient>('client', 'create', '--tenant', 'acme', '--name', 'Created while serving', '--scope', 'documents:read'));
    secrets.push(created.secret);
    const token = await getToken(server, created, { scope: 'documents:read' });
    tokens.push(token);
    const payload = jwtPayload(token);
    assert.equal(payload.client_id, created.id);
    assert.equal(payload.scope, 'documents:read');

    const active = await introspect(server, integrator, token);
    assert.equal(active.json?.active, true);
    assert.equal(active.json?.client_id, created.id);
    assert.equal(active.json?.tenant, 'acme');

    await cli('client', 'disable', created.id);
    const refused = await tokenRequest(server, created);
    assert.equal(refused.status, 401);
    assert.equal(refused.json?.error, 'invalid_client');
    assert.equal((await introspect(server, integrator, token)).text, INACTIVE);
  });

  it('client rotate-secret in another process: the very next request with the old secret is refused, the new one works (the server caches client records)', async () => {
    const created = credentialsOf(await cliObject<CreatedClient>('client', 'create', '--tenant', 'acme', '--name', 'Rotated while serving'));
    secrets.push(created.secret);
    // Several successful requests: the server now holds the client record in memory.
    for (let i = 0; i < 3; i++) tokens.push(await getToken(server, created));

    const rotated = await cliObject<{ client_secret: string }>('client', 'rotate-secret', created.id);
    secrets.push(rotated.client_secret);
    const old = await tokenRequest(server, created);
    assert.equal(old.status, 401, `the first request after the CLI exited: ${old.text}`);
    assert.equal(old.json?.error, 'invalid_client');
    tokens.push(await getToken(server, { id: created.id, secret: rotated.client_secret }));
  });

  it('the log never contains a client secret, an access token, the master key or a query string', async () => {
    // A few more requests that carry secrets in every place a request can.
    tokens.push(await getToken(server, integrator));
    const posted = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', client_id: integrator.id, client_secret: integrator.secret });
    assert.equal(posted.status, 200, posted.text);
    tokens.push(posted.json!.access_token as string);
    await introspect(server, integrator, tokens[0]!);
    const inUrl = await postForm(`${server.url}/oauth/introspect?client_secret=${integrator.secret}`, { token: tokens[0]! }, { authorization: basicAuth(integrator.id, integrator.secret) });
    assert.equal(inUrl.status, 400);
    assert.equal(inUrl.json?.error, 'invalid_request');
    await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(integrator.id, `${integrator.secret}x`) });

    // A final request whose path marks the end: once it is logged, every request above is.
    const marker = `/log-marker-${Date.now()}`;
    const tracer = `trace${Math.random().toString(36).slice(2)}`;
    const notFound = await getUrl(`${server.url}${marker}?access_token=${tracer}`);
    assert.equal(notFound.status, 404);
    await waitFor('the marker request in the log', async () => (server.stdout().includes(marker) ? true : undefined), { timeoutMs: 5000 });

    const log = server.stdout() + server.stderr();
    assert.match(log, /"path":"\/oauth\/token"/, 'requests are logged');
    assert.match(log, /"path":"\/oauth\/introspect"/);
    for (const secret of secrets) {
      assert.ok(!log.includes(secret), 'the log contains a client secret');
      assert.ok(!log.includes(secret.slice('gatehouse_secret_'.length)), 'the log contains the random part of a client secret');
    }
    assert.ok(tokens.length >= 4);
    for (const token of tokens) {
      assert.ok(!log.includes(token), 'the log contains an access token');
      assert.ok(!log.includes(token.split('.')[2]!), 'the log contains an access token signature');
    }
    assert.ok(!log.includes(readFileSync(join(dir, 'master.key'), 'utf8').trim()), 'the log contains the master key');
    assert.ok(!log.includes(tracer), 'the log contains a query string');
    assert.ok(!log.includes('client_secret='), 'the log contains a query string');
  });

  it('a restart (SIGTERM, then serve again) exits 0, loads the same master key and signing key, and keeps clients and tokens valid', async () => {
    const token = await getToken(server, integrator);
    tokens.push(token);
    const kid = jwtHeader(token).kid;
    assert.equal(await server.stop(), 0, 'gatehouse serve exits 0 on SIGTERM');

    // Same port, so the issuer (http://127.0.0.1:<port>) is unchanged.
    server = await startServer({ db, port: server.port });
    const lines = server.logLines();
    const masterLine = lines.find((line) => line.masterKeyFile === join(dir, 'master.key'));
    assert.ok(masterLine, server.stdout());
    assert.match(String(masterLine.msg), /master key loaded/);
    assert.ok(!lines.some((line) => /generated/.test(String(line.msg))), `nothing is generated on a restart:\n${server.stdout()}`);

    assert.equal((await introspect(server, integrator, token)).json?.active, true);
    assert.deepEqual(
      (await jwks(server)).keys.map((key) => key.kid),
      [kid],
    );
    assert.equal(jwtHeader(await getToken(server, integrator)).kid, kid);
  });
});
