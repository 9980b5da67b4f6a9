/**
 * Storage down → 503 `temporarily_unavailable` with Retry-After, never a 500
 * (docs/architecture.md), and a write cut off halfway leaves nothing half-written.
 * Black-box through fastify.inject, on SQLite always and on PostgreSQL when
 * GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig, type Config } from '../../packages/server/src/core/config.js';
import { StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import { openGatehouse, type Gatehouse, type OpenOptions } from '../../packages/server/src/server/context.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import {
  createClient,
  createTestGatehouse,
  getToken,
  introspect,
  openTestApp,
  postForm,
  TEST_ISSUER,
  type TestApp,
  type TestClient,
  type TestGatehouse,
} from '../helpers/gatehouse.js';
import { adminQuery, createTempPostgresDatabase, POSTGRES_URL, SKIP_POSTGRES, STORAGE_TARGETS, type TempDatabase } from '../helpers/postgres.js';
import { sleep, waitFor } from '../helpers/timing.js';
import { basicAuth, jwtHeader } from '../helpers/tokens.js';

/** Fast key refreshes, so a test sees the KeyRing go back to the store within milliseconds. */
const KEY_REFRESH_MS = 50;

function assertUnavailable(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 503, `expected 503, got ${response.statusCode} ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json() as Record<string, unknown>;
  assert.equal(body.error, 'temporarily_unavailable');
  assert.equal(typeof body.error_description, 'string');
  assert.equal(body.message, body.error_description, 'message repeats error_description');
  assert.doesNotMatch(response.body, /sqlite|postgres|econn|destroyed|127\.0\.0\.1|select |insert /i, 'no backend detail leaks');
  assert.match(String(response.headers['retry-after']), /^[1-9][0-9]*$/, 'Retry-After gives whole seconds');
  assert.equal(response.headers['cache-control'], 'no-store');
}

interface OutageState {
  app: FastifyInstance;
  gatehouse: Gatehouse;
  client: TestClient;
  /** A token issued before the outage. */
  token: string;
  /** The JWKS served before the outage. */
  jwks: unknown;
}

/**
 * The behaviour every outage shares, whatever the backend and however it went down: 503
 * wherever the storage is needed, the JWKS loaded before the outage still served.
 */
function itHandlesTheOutage(state: () => OutageState): void {
  it('POST /oauth/token with client_secret_basic answers 503 temporarily_unavailable with Retry-After', async () => {
    const { app, client } = state();
    assertUnavailable(await postForm(app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) }));
  });

  it('POST /oauth/token with client_secret_post answers 503 too', async () => {
    const { app, client } = state();
    assertUnavailable(await postForm(app, '/oauth/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }));
  });

  it('POST /oauth/introspect answers 503, not an answer about the token', async () => {
    const { app, client, token } = state();
    assertUnavailable(await postForm(app, '/oauth/introspect', { token }, { authorization: basicAuth(client.clientId, client.secret) }));
  });

  it('POST /oauth/revoke answers 503, never a 200 claiming the token is revoked', async () => {
    const { app, client, token } = state();
    assertUnavailable(await postForm(app, '/oauth/revoke', { token }, { authorization: basicAuth(client.clientId, client.secret) }));
  });

  it('GET /healthz answers 503', async () => {
    assertUnavailable(await state().app.inject({ method: 'GET', url: '/healthz' }));
  });

  it('GET /.well-known/oauth-authorization-server still answers 200: the metadata reads no storage (no scopes_supported)', async () => {
    const response = await state().app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((response.json() as { issuer: string }).issuer, TEST_ISSUER);
  });

  it('failed authentications during the outage are not counted: none is answered 429', async () => {
    const { app, client, gatehouse } = state();
    const attempts = gatehouse.config.throttleMaxFailuresPerAddress + gatehouse.config.throttleMaxFailuresPerClient + 5;
    for (let i = 0; i < attempts; i += 1) {
      const response = await postForm(app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, `wrong-${i}`) });
      assert.equal(response.statusCode, 503, `attempt ${i + 1}: ${response.statusCode} ${response.body}`);
    }
  });

  it('an operator action during the outage fails with StorageUnavailableError', async () => {
    const { gatehouse, client } = state();
    await assert.rejects(gatehouse.admin.clients.rotateSecret(client.clientId), StorageUnavailableError);
    await assert.rejects(gatehouse.admin.tenants.create({ slug: 'during-outage' }), StorageUnavailableError);
  });

  it('keeps serving the JWKS loaded before the outage', async () => {
    await sleep(KEY_REFRESH_MS * 2);
    const response = await state().app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), state().jwks);
  });
}

/** Creates a client, gets a token and loads the JWKS while the storage is up. */
async function prepare(t: TestGatehouse): Promise<Omit<OutageState, 'app' | 'gatehouse'>> {
  const client = await createClient(t.gatehouse);
  const token = await getToken(t.app, client);
  const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
  return { client, token, jwks };
}

describe('storage outage: the SQLite database is closed under a running server', () => {
  let t: TestGatehouse;
  let state: OutageState;
  const restarted: TestApp[] = [];

  before(async () => {
    t = await createTestGatehouse({ config: { keyRefreshInterval: KEY_REFRESH_MS } });
    state = { app: t.app, gatehouse: t.gatehouse, ...(await prepare(t)) };
    // The database handle goes away under the server (what a lost file system does).
    await (t.gatehouse.storage as SqlStorage).db.destroy();
  });

  after(async () => {
    for (const opened of restarted) await opened.close();
    await t.close();
  });

  itHandlesTheOutage(() => state);

  it('after a restart on the same database, nothing the outage refused was written', async () => {
    const reopened = await openTestApp(t.config);
    restarted.push(reopened);
    const { gatehouse, app } = reopened;
    assert.deepEqual(gatehouse.migrationsApplied, []);
    // The secret rotation refused during the outage did not happen: the old secret works.
    await getToken(app, state.client);
    // The revocation refused during the outage did not happen: the token is still active.
    assert.equal((await introspect(app, state.client, state.token)).active, true);
    assert.equal(await gatehouse.storage.tenants.findTenantBySlug('during-outage'), undefined);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });
});

describe('storage outage: PostgreSQL stops accepting connections under a running server', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let name: string;
  let t: TestGatehouse;
  let state: OutageState;
  /** A second server on the same database, opened while it was up, that has not loaded its keys yet. */
  let cold: TestApp | undefined;

  before(async () => {
    database = await createTempPostgresDatabase();
    name = new URL(database.url).pathname.slice(1);
    t = await createTestGatehouse({ databaseUrl: database.url, config: { keyRefreshInterval: KEY_REFRESH_MS } });
    state = { app: t.app, gatehouse: t.gatehouse, ...(await prepare(t)) };
    cold = await openTestApp(t.config);
    // The database refuses new connections and every open one is cut (a failover or a restart).
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
    await waitUntilNoSessions(name);
  });

  after(async () => {
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    await cold?.close();
    await t?.close();
    await database?.drop();
  });

  itHandlesTheOutage(() => state);

  it('a server that had not loaded its keys before the outage answers 503 on every storage-backed endpoint, JWKS included', async () => {
    const { app } = cold!;
    const basic = { authorization: basicAuth(state.client.clientId, state.client.secret) };
    assertUnavailable(await app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
    assertUnavailable(await postForm(app, '/oauth/token', { grant_type: 'client_credentials' }, basic));
    assertUnavailable(await postForm(app, '/oauth/introspect', { token: state.token }, basic));
    assertUnavailable(await postForm(app, '/oauth/revoke', { token: state.token }, basic));
    assertUnavailable(await app.inject({ method: 'GET', url: '/healthz' }));
    // The metadata is not storage-backed (it lists no scopes_supported): it still answers.
    assert.equal((await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).statusCode, 200);
  });

  it('recovers without a restart once PostgreSQL accepts connections again, with nothing written by the refused requests', async () => {
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await getToken(t.app, state.client);
    assert.equal((await introspect(t.app, state.client, state.token)).active, true, 'the refused revocation wrote nothing');
    assert.equal(await t.gatehouse.storage.tenants.findTenantBySlug('during-outage'), undefined);
    const wrong = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(state.client.clientId, 'wrong') });
    assert.equal(wrong.statusCode, 401, 'the failures answered 503 were not counted against the client or the address');
    const jwks = await cold!.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(jwks.statusCode, 200, 'the server that had no keys loads them once the database is back');
    assert.deepEqual(jwks.json(), state.jwks);
  });
});

describe('storage outage: PostgreSQL unreachable when the server starts', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let t: TestGatehouse;
  let client: TestClient;
  let token: string;
  let dir: string;
  // Port 1 on the loopback interface: nothing listens there, connecting is refused at once.
  const UNREACHABLE_URL = 'postgres://postgres@127.0.0.1:1/gatehouse';
  /** Well under the pool's connection timeout (5 s): a refused connection must not be waited out or retried. */
  const PROMPTLY_MS = 3_000;

  before(async () => {
    database = await createTempPostgresDatabase();
    t = await createTestGatehouse({ databaseUrl: database.url });
    client = await createClient(t.gatehouse);
    token = await getToken(t.app, client);
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-unreachable-'));
  });

  after(async () => {
    await t?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a Gatehouse on the unreachable database; asserts it rejects with StorageUnavailableError, promptly. */
  async function assertOpenFails(config: Config, options?: OpenOptions): Promise<void> {
    const started = performance.now();
    let opened: Gatehouse | undefined;
    await assert.rejects(
      openGatehouse(config, options).then((gatehouse) => {
        opened = gatehouse;
      }),
      (error: unknown) => {
        assert.ok(error instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
        return true;
      },
    );
    await opened?.close();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < PROMPTLY_MS, `openGatehouse took ${Math.round(elapsed)} ms to fail`);
  }

  it('openGatehouse rejects with StorageUnavailableError promptly, whatever the migrate mode', async () => {
    // Same master key (data directory) as the working server: only the database is missing.
    const config = loadConfig({ ...t.config, databaseUrl: UNREACHABLE_URL });
    await assertOpenFails(config);
    await assertOpenFails(config, { migrate: 'always' });
    // Even without migrating, the master key check is stored in the database: it cannot open.
    await assertOpenFails(config, { migrate: 'if-fresh' });
    // The working server never saw any of it.
    assert.equal((await introspect(t.app, client, token)).active, true);
  });

  it('a first start on an unreachable database creates no master key', async () => {
    const dataDir = join(dir, 'first-start');
    const config = loadConfig({ databaseUrl: UNREACHABLE_URL, dataDir, issuer: t.config.issuer, logLevel: 'silent' });
    for (const migrate of ['always', 'if-fresh'] as const) {
      await assertOpenFails(config, { migrate });
      assert.equal(existsSync(config.masterKeyFile), false, `no master key was created (migrate: ${migrate})`);
    }
  });
});

for (const target of STORAGE_TARGETS) {
  describe(`a write that fails halfway leaves nothing half-written (${target.name})`, { skip: target.skip }, () => {
    let database: TempDatabase | undefined;
    let t: TestGatehouse;
    let client: TestClient;

    before(async () => {
      if (target.name === 'postgres') database = await createTempPostgresDatabase();
      t = await createTestGatehouse({ ...(database ? { databaseUrl: database.url } : {}), config: { keyRefreshInterval: KEY_REFRESH_MS } });
      client = await createClient(t.gatehouse);
    });

    after(async () => {
      await t?.close();
      await database?.drop();
    });

    it('a signing-key rotation failing after the old key was retired leaves the old key active and signing', async () => {
      const [previous] = await t.gatehouse.admin.keys.listPublished();
      assert.ok(previous?.active);
      await failingInsertInto(t, 'signing_keys', () => t.gatehouse.admin.keys.rotate('ES256'));

      assert.deepEqual(await t.gatehouse.admin.keys.listPublished(), [previous], 'the old key is still the only key, active, not retired');
      await sleep(KEY_REFRESH_MS * 2);
      const token = await getToken(t.app, client);
      assert.equal(jwtHeader(token).kid, previous.kid);
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
      assert.deepEqual(
        jwks.keys.map((key) => key.kid),
        [previous.kid],
      );
      assert.equal((await introspect(t.app, client, token)).active, true);
    });

    it('a client creation failing after the client row was inserted leaves no client and no new scope', async () => {
      const tenant = client.tenant;
      const clientsBefore = await t.gatehouse.admin.clients.list(tenant);
      const tenantId = clientsBefore[0]!.tenantId!;
      const scopesBefore = await t.gatehouse.storage.scopes.listScopes(tenantId);
      await failingInsertInto(t, 'scopes', () => t.gatehouse.admin.clients.create({ tenant, name: 'Half written', scope: 'documents:read archive:export' }));

      assert.deepEqual(await t.gatehouse.admin.clients.list(tenant), clientsBefore);
      assert.deepEqual(await t.gatehouse.storage.scopes.listScopes(tenantId), scopesBefore);
      assert.deepEqual(await t.gatehouse.storage.scopes.listScopeNames().then((names) => names.includes('archive:export')), false);
      // The storage works normally afterwards (no transaction left open).
      const { client: created } = await t.gatehouse.admin.clients.create({ tenant, name: 'Whole', scope: 'archive:export' });
      assert.equal((await t.gatehouse.storage.clients.findClient(created.id))?.name, 'Whole');
    });
  });
}

/**
 * Connections cut while a query runs. Each case runs in a child process: the question
 * is whether the process survives, and a crash must not take the test runner with it.
 */
describe('a PostgreSQL connection cut while a query runs', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let dir: string;
  /** One data directory (master key) for every child: they share the database, which remembers its master key. */
  let dataDir: string;

  before(async () => {
    database = await createTempPostgresDatabase();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cut-'));
    dataDir = mkdtempSync(join(dir, 'data-'));
  });

  after(async () => {
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a connection reset during a token request answers 503, the server process survives and the next request succeeds',
    {},
    async () => {
      const result = await runChild(dir, 'reset-during-request', { DB_URL: database.url, DATA_DIR: dataDir });
      assert.equal(result.status, 0, `the process died:\n${result.stderr}`);
      assert.deepEqual(result.lines, ['before 200', 'during 503', 'after 200']);
    },
  );

  it(
    'a connection cut in the middle of a signing-key rotation rejects with StorageUnavailableError without killing the process, and the old key stays active',
    {},
    async () => {
      const result = await runChild(dir, 'cut-during-rotation', { DB_URL: database.url, DATA_DIR: dataDir });
      assert.equal(result.status, 0, `the process died:\n${result.stderr}`);
      const [initial, outcome, afterwards] = result.lines;
      assert.equal(outcome, 'rejected StorageUnavailableError');
      assert.equal(afterwards, initial, 'the key active before the rotation is the only active key');
    },
  );
});

const SRC = new URL('../../packages/server/src/', import.meta.url).href;
const PG = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;

/** The child processes of the connection-cut tests (plain ESM; TypeScript modules load through tsx). */
const CHILD_SCRIPTS = {
  /** A TCP proxy in front of PostgreSQL resets the connection when the next query is sent. */
  'reset-during-request': `
    import net from 'node:net';
    const { loadConfig } = await import('${SRC}core/config.ts');
    const { openGatehouse } = await import('${SRC}server/context.ts');
    const { buildApp } = await import('${SRC}server/app.ts');
    const direct = new URL(process.env.DB_URL);
    let resetNext = false;
    const proxy = net.createServer((socket) => {
      const upstream = net.connect(Number(direct.port || 5432), direct.hostname);
      socket.on('error', () => {});
      upstream.on('error', () => {});
      socket.on('data', (data) => {
        if (resetNext) {
          socket.resetAndDestroy();
          upstream.destroy();
        } else upstream.write(data);
      });
      upstream.on('data', (data) => socket.write(data));
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
    });
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(direct);
    proxied.port = String(proxy.address().port);
    const config = loadConfig({ databaseUrl: proxied.href, dataDir: process.env.DATA_DIR, issuer: 'http://127.0.0.1:8080', logLevel: 'silent' });
    const gatehouse = await openGatehouse(config);
    await gatehouse.admin.keys.ensureActive('ES256');
    const app = await buildApp(gatehouse, { logger: false });
    await gatehouse.admin.tenants.create({ slug: 'acme' });
    const { client, secret } = await gatehouse.admin.clients.create({ tenant: 'acme', name: 'Reset', scope: 'documents:read' });
    const authorization = 'Basic ' + Buffer.from(client.id + ':' + secret).toString('base64');
    const token = () => app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, payload: 'grant_type=client_credentials' });
    console.log('before', (await token()).statusCode);
    resetNext = true;
    console.log('during', (await token()).statusCode);
    resetNext = false;
    console.log('after', (await token()).statusCode);
    await app.close();
    await gatehouse.close();
    proxy.close();
  `,
  /** The insert of the new key sleeps in a trigger; another session terminates its backend. */
  'cut-during-rotation': `
    const { default: pg } = await import('${PG}');
    const { loadConfig } = await import('${SRC}core/config.ts');
    const { openGatehouse } = await import('${SRC}server/context.ts');
    const config = loadConfig({ databaseUrl: process.env.DB_URL, dataDir: process.env.DATA_DIR, issuer: 'http://127.0.0.1:8080', logLevel: 'silent' });
    const gatehouse = await openGatehouse(config);
    const first = await gatehouse.admin.keys.rotate('ES256');
    console.log('active', first.kid);
    const admin = new pg.Client({ connectionString: process.env.DB_URL });
    await admin.connect();
    await admin.query("create function cut_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(60); return new; end $$");
    await admin.query('create trigger cut_insert before insert on signing_keys for each row execute function cut_insert()');
    const rotation = gatehouse.admin.keys.rotate('ES256').then(() => 'resolved', (error) => 'rejected ' + error.name);
    for (let i = 0; i < 1000; i += 1) {
      const { rows } = await admin.query("select pid from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'");
      if (rows.length > 0) {
        await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.log(await rotation);
    await admin.query('drop trigger cut_insert on signing_keys');
    await admin.end();
    const keys = await gatehouse.admin.keys.listPublished();
    console.log('active', keys.filter((key) => key.active).map((key) => key.kid).join(' '));
    await gatehouse.close();
  `,
};

async function runChild(
  dir: string,
  name: keyof typeof CHILD_SCRIPTS,
  env: { DB_URL: string; DATA_DIR: string },
): Promise<{ status: number | null; lines: string[]; stderr: string }> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, CHILD_SCRIPTS[name]);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { ...process.env, ...env }, timeout: 60_000 },
      (error, out, err) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout: out, stderr: err });
      },
    );
  });
  return { status: code, lines: stdout.split('\n').filter((line) => line !== ''), stderr };
}

/**
 * Makes the first insert into `table` fail inside the database (a trigger raises an
 * error), so the operator action running `action` fails after its earlier statements
 * in the same transaction have run. Asserts the action rejects with
 * StorageUnavailableError.
 */
async function failingInsertInto(t: TestGatehouse, table: 'signing_keys' | 'scopes', action: () => Promise<unknown>): Promise<void> {
  const storage = t.gatehouse.storage as SqlStorage;
  const statements =
    storage.dialect === 'sqlite'
      ? {
          install: [`create trigger fail_insert before insert on ${table} begin select raise(abort, 'simulated failure'); end`],
          remove: ['drop trigger fail_insert'],
        }
      : {
          install: [
            "create function fail_insert() returns trigger language plpgsql as $$ begin raise exception 'simulated failure'; end $$",
            `create trigger fail_insert before insert on ${table} for each row execute function fail_insert()`,
          ],
          remove: [`drop trigger fail_insert on ${table}`, 'drop function fail_insert()'],
        };
  for (const statement of statements.install) await sql.raw(statement).execute(storage.db);
  try {
    await assert.rejects(action(), StorageUnavailableError);
  } finally {
    for (const statement of statements.remove) await sql.raw(statement).execute(storage.db);
  }
}

/** Waits until every session of database `name` has ended, and the pool has seen its sockets close. */
async function waitUntilNoSessions(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await waitFor(
      `every session of ${name} to end`,
      async () => {
        const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        return rows[0]?.n === 0 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  } finally {
    await client.end();
  }
  await sleep(100);
}

