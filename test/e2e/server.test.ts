/**
 * End-to-end tests against REAL listening `gatehouse serve` processes (node
 * bin/gatehouse.js), driven with real HTTP (fetch and the curl binary) and the real CLI
 * on the same database, as an operator and an integrator would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createTempPostgresDatabase, SKIP_POSTGRES } from '../helpers/postgres.js';
import {
  cliJson,
  cliOk,
  runCli,
  startServer,
  startSqliteServer,
  type ServerProcess,
  type SqliteServer,
} from '../helpers/process.js';
import { curl, getUrl, type HttpResult, postForm } from '../helpers/http.js';
import { sleep, waitFor } from '../helpers/timing.js';
import { basicAuth, jwtHeader, jwtPayload } from '../helpers/tokens.js';

interface CreatedClient {
  client_id: string;
  client_secret: string;
}

interface Credentials {
  id: string;
  secret: string;
}

const INACTIVE = '{"active":false}';

function tokenRequest(server: ServerProcess, client: Credentials, extra: Record<string, string> = {}): Promise<HttpResult> {
  return postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', ...extra }, { authorization: basicAuth(client.id, client.secret) });
}

async function getToken(server: ServerProcess, client: Credentials, extra: Record<string, string> = {}): Promise<string> {
  const response = await tokenRequest(server, client, extra);
  assert.equal(response.status, 200, `token request to ${server.url} failed: ${response.status} ${response.text}`);
  const token = response.json?.access_token;
  assert.equal(typeof token, 'string');
  return token as string;
}

async function introspect(server: ServerProcess, caller: Credentials, token: string): Promise<HttpResult> {
  const response = await postForm(`${server.url}/oauth/introspect`, { token }, { authorization: basicAuth(caller.id, caller.secret) });
  assert.equal(response.status, 200, `introspection at ${server.url} failed: ${response.status} ${response.text}`);
  return response;
}

async function jwks(server: ServerProcess): Promise<JSONWebKeySet> {
  const response = await getUrl(`${server.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return JSON.parse(response.text) as JSONWebKeySet;
}

function credentialsOf(created: CreatedClient): Credentials {
  assert.match(created.client_secret, /^gatehouse_secret_/);
  return { id: created.client_id, secret: created.client_secret };
}

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

interface Backend {
  name: string;
  skip: string | false;
  /** A fresh, empty database and the environment every process using it needs. */
  create(dir: string): Promise<{ db: string; env: Record<string, string>; cleanup(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite file',
    skip: false,
    create: async (dir) => ({ db: `sqlite:${join(dir, 'g.db')}`, env: {}, cleanup: async () => {} }),
  },
  {
    name: 'PostgreSQL database',
    skip: SKIP_POSTGRES,
    create: async (dir) => {
      const database = await createTempPostgresDatabase();
      // Every process of a cluster shares one master key (here: a file in the test's directory, never ./data).
      return { db: database.url, env: { GATEHOUSE_MASTER_KEY_FILE: join(dir, 'master.key') }, cleanup: () => database.drop() };
    },
  },
];

/** Processes of one cluster sit behind one public URL: they share the issuer. */
const CLUSTER_ISSUER = 'https://auth.gatehouse.test';

for (const backend of BACKENDS) {
  describe(`two gatehouse serve processes on one ${backend.name}`, { skip: backend.skip }, () => {
    let dir: string;
    let db: string;
    let env: Record<string, string>;
    let cleanup: (() => Promise<void>) | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let auditor: Credentials;

    const cli = (...args: string[]) => runCli([...args, '--db', db], { env });
    const cliObject = <T = Record<string, unknown>>(...args: string[]) => cliJson<T>([...args, '--db', db], { env });
    const newClient = async (name: string) => credentialsOf(await cliObject<CreatedClient>('client', 'create', '--tenant', 'acme', '--name', name, '--scope', 'documents:read'));
    const A = () => a!;
    const B = () => b!;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
      ({ db, env, cleanup } = await backend.create(dir));
      a = await startServer({ db, env, issuer: CLUSTER_ISSUER });
      b = await startServer({ db, env, issuer: CLUSTER_ISSUER });
      await cliOk(['tenant', 'create', 'acme', '--db', db], { env });
      auditor = await newClient('Auditor (introspects)');
    });

    after(async () => {
      await Promise.allSettled([a?.stop(), b?.stop()]);
      await cleanup?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a token from server A introspects active on server B, and the other way round', async () => {
      const client = await newClient('Cross-node');
      const fromA = await getToken(A(), client);
      const fromB = await getToken(B(), client);
      assert.equal(jwtPayload(fromA).iss, CLUSTER_ISSUER);
      for (const [server, token] of [[B(), fromA], [A(), fromB]] as const) {
        const result = await introspect(server, auditor, token);
        assert.equal(result.json?.active, true, result.text);
        assert.equal(result.json?.client_id, client.id);
        assert.equal(result.json?.tenant, 'acme');
        assert.equal(result.json?.iss, CLUSTER_ISSUER);
      }
    });

    it('client rotate-secret (no grace): server B reports exactly {"active":false} within 1 s of the CLI exiting; the old secret is refused everywhere, the new one works', async () => {
      const client = await newClient('Rotated at once');
      const token = await getToken(A(), client);
      assert.equal((await introspect(B(), auditor, token)).json?.active, true, 'active on B before the rotation');

      const rotation = await cli('client', 'rotate-secret', client.id, '--json');
      assert.equal(rotation.code, 0, rotation.stderr);
      const newSecret = (JSON.parse(rotation.stdout) as { client_secret: string }).client_secret;

      // Poll B from the moment the CLI exited; the change must be visible within one second.
      let result: HttpResult;
      let seenAt: number;
      for (;;) {
        result = await introspect(B(), auditor, token);
        seenAt = Date.now();
        if (result.json?.active === false || seenAt - rotation.exitedAt > 5000) break;
        await sleep(20);
      }
      assert.equal(result.text, INACTIVE, 'exactly {"active":false}');
      const elapsed = seenAt - rotation.exitedAt;
      assert.ok(elapsed <= 1000, `server B saw the revocation ${elapsed} ms after the CLI exited (limit 1000 ms)`);
      assert.equal((await introspect(A(), auditor, token)).text, INACTIVE);

      for (const server of [A(), B()]) {
        const basicAuth = await tokenRequest(server, client);
        assert.equal(basicAuth.status, 401, basicAuth.text);
        assert.equal(basicAuth.json?.error, 'invalid_client');
        const post = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret });
        assert.equal(post.status, 401, post.text);
        assert.equal(post.json?.error, 'invalid_client');
      }

      const rotated = { id: client.id, secret: newSecret };
      for (const server of [A(), B()]) {
        const fresh = await getToken(server, rotated);
        // A token minted right after the rotation is not caught by the revocation.
        const other = server === A() ? B() : A();
        assert.equal((await introspect(other, auditor, fresh)).json?.active, true);
        assert.equal((await introspect(server, auditor, fresh)).json?.active, true);
      }
    });

    it('client rotate-secret --grace 24h: both secrets work on both servers and earlier tokens stay active', async () => {
      const client = await newClient('Rotated with grace');
      const earlier = await getToken(A(), client);

      const rotated = await cliObject<{ client_secret: string; previous_secret_expires_at: string | null }>('client', 'rotate-secret', client.id, '--grace', '24h');
      assert.notEqual(rotated.previous_secret_expires_at, null);
      const next = { id: client.id, secret: rotated.client_secret };

      for (const server of [A(), B()]) {
        for (const secret of [client, next]) {
          const response = await tokenRequest(server, secret);
          assert.equal(response.status, 200, `${secret === client ? 'old' : 'new'} secret on ${server.url}: ${response.text}`);
          assert.equal((await introspect(server === A() ? B() : A(), auditor, response.json!.access_token as string)).json?.active, true);
        }
        const result = await introspect(server, auditor, earlier);
        assert.equal(result.json?.active, true, `the earlier token on ${server.url}: ${result.text}`);
      }
    });

    it('keys rotate --alg RS256: within ~1.5 s both servers sign with the new kid; the JWKS lists both; old tokens stay active', async () => {
      const before = await getToken(A(), auditor);
      const oldKid = jwtHeader(before).kid as string;

      const rotation = await cli('keys', 'rotate', '--alg', 'RS256', '--json');
      assert.equal(rotation.code, 0, rotation.stderr);
      const { kid: newKid, alg } = JSON.parse(rotation.stdout) as { kid: string; alg: string };
      assert.equal(alg, 'RS256');
      assert.notEqual(newKid, oldKid);

      const latest = new Map<ServerProcess, string>();
      const switchedAt = new Map<ServerProcess, number>();
      while (switchedAt.size < 2 && Date.now() - rotation.exitedAt <= 5000) {
        for (const server of [A(), B()]) {
          if (switchedAt.has(server)) continue;
          const token = await getToken(server, auditor);
          latest.set(server, token);
          if (jwtHeader(token).kid === newKid) switchedAt.set(server, Date.now());
        }
        if (switchedAt.size < 2) await sleep(50);
      }
      for (const [name, server] of [['A', A()], ['B', B()]] as const) {
        const at = switchedAt.get(server);
        assert.ok(at !== undefined, `server ${name} still signs with ${String(jwtHeader(latest.get(server)!).kid)} 5 s after the rotation`);
        assert.ok(at - rotation.exitedAt <= 1500, `server ${name} switched to the new key ${at - rotation.exitedAt} ms after the CLI exited (limit ~1500 ms)`);

        const token = latest.get(server)!;
        const header = jwtHeader(token);
        assert.equal(header.alg, 'RS256');
        assert.equal(header.typ, 'at+jwt');

        const published = await jwks(server);
        const kids = published.keys.map((key) => key.kid);
        assert.ok(kids.includes(oldKid) && kids.includes(newKid), `JWKS of ${name} lists ${kids.join(', ')}`);
        for (const key of published.keys) assert.ok(!('d' in key) && !('p' in key), 'no private key material in the JWKS');
        const set = createLocalJWKSet(published);
        await jwtVerify(token, set, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' });
        await jwtVerify(before, set, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' });

        const old = await introspect(server, auditor, before);
        assert.equal(old.json?.active, true, `a token signed by the old key on ${name}: ${old.text}`);
      }
    });

    it('concurrent `keys rotate` runs leave exactly one active signing key, and both servers sign with it', async () => {
      for (let round = 1; round <= 3; round++) {
        const runs = await Promise.all([1, 2, 3, 4].map(() => cli('keys', 'rotate', '--json')));
        for (const run of runs) assert.equal(run.code, 0, run.stderr);
        const { keys } = await cliObject<{ keys: { kid: string; active: boolean }[] }>('keys', 'list');
        const active = keys.filter((key) => key.active).map((key) => key.kid);
        assert.equal(active.length, 1, `round ${round}: keys list shows ${active.length} active keys (${active.join(', ')})`);
        for (const server of [A(), B()]) {
          await waitFor(`${server.url} to sign with ${active[0]}`, async () => (jwtHeader(await getToken(server, auditor)).kid === active[0] ? true : undefined), {
            timeoutMs: 5000,
            intervalMs: 100,
          });
        }
      }
    });

    it('two processes started at the same moment on a fresh database both become ready, sharing one master key and one active signing key', async () => {
      const freshDir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-fresh-'));
      const fresh = await backend.create(freshDir);
      const started = await Promise.allSettled([
        startServer({ db: fresh.db, env: fresh.env, issuer: CLUSTER_ISSUER }),
        startServer({ db: fresh.db, env: fresh.env, issuer: CLUSTER_ISSUER }),
      ]);
      try {
        for (const result of started) assert.equal(result.status, 'fulfilled', result.status === 'rejected' ? String(result.reason) : '');
        const [one, two] = started.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value) as [ServerProcess, ServerProcess];
        const logs = [one, two].map((server) => server.logLines().filter((line) => typeof line.masterKeyFile === 'string'));
        assert.equal(
          logs.flat().filter((line) => /generated a new master key/.test(String(line.msg))).length,
          1,
          'exactly one process generated the master key',
        );
        const { keys } = await cliJson<{ keys: { kid: string; active: boolean }[] }>(['keys', 'list', '--db', fresh.db], { env: fresh.env });
        const active = keys.filter((key) => key.active).map((key) => key.kid);
        assert.equal(active.length, 1, `keys list shows ${active.length} active signing keys (${active.join(', ')}) after a simultaneous first start`);
        await cliOk(['tenant', 'create', 'acme', '--db', fresh.db], { env: fresh.env });
        const client = credentialsOf(await cliJson<CreatedClient>(['client', 'create', '--tenant', 'acme', '--name', 'X', '--db', fresh.db], { env: fresh.env }));
        const token = await getToken(one, client);
        assert.equal((await introspect(two, client, token)).json?.active, true);
      } finally {
        await Promise.allSettled(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
        await fresh.cleanup();
        rmSync(freshDir, { recursive: true, force: true });
      }
    });
  });
}
