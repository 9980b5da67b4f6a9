/**
 * Issue 16, reliability: a refresh rotation (RFC 9700 §4.14.2) whose database connection
 * is lost between consuming the presented token and storing its successor. The rotation
 * is one transaction, so it happens whole or not at all: the client, told 503
 * `temporarily_unavailable`, retries with the old token and gets new tokens (the consume
 * was rolled back). Never are the old token and the new one both dead.
 *
 * PostgreSQL: a TCP proxy sits between the `gatehouse serve` process and the database; a
 * trigger holds the successor's INSERT (the old token's UPDATE has run in the same
 * transaction) until the test has cut the proxy. SQLite has no connection to cut: a
 * trigger fails the successor's INSERT inside the transaction, as an I/O error would.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { HttpResult } from '../helpers/http.js';
import { SKIP_POSTGRES } from '../helpers/postgres.js';
import type { ServerProcess } from '../helpers/process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { REDIRECT_URI } from '../helpers/user-delegation.js';
import {
  assertInvalidGrant,
  createDeployment,
  exchange,
  issueCodes,
  pairOf,
  refresh,
  setUpTenant,
  storedRefreshToken,
  type Credentials,
  type Deployment,
  type Fixture,
} from './reliability.js';

function assertUnavailable(response: HttpResult, what: string): void {
  assert.equal(response.status, 503, `${what}: ${response.status} ${response.text}`);
  assert.equal(response.json?.error, 'temporarily_unavailable', `${what}: ${response.text}`);
  assert.match(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, `${what}: Retry-After`);
}

async function until(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() >= deadline) assert.fail(`${what}: still not true after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Setup {
  deployment: Deployment;
  fixture: Fixture;
  codes: { code: string; verifier: string }[];
}

async function setUp(backend: 'sqlite' | 'postgres'): Promise<Setup> {
  const deployment = await createDeployment(backend, 'gatehouse-rotation-failure-');
  try {
    const gatehouse = await deployment.operator();
    const fixture = await setUpTenant(gatehouse);
    const codes = await issueCodes(gatehouse, fixture, 3);
    return { deployment, fixture, codes };
  } catch (error) {
    await deployment.close();
    throw error;
  }
}

/**
 * After a failed rotation of `old`: it was not consumed (the database says so), the
 * retry with it succeeds, its successor works, and `old` is then spent.
 */
async function assertRolledBack(s: Setup, server: ServerProcess, old: string): Promise<void> {
  const gatehouse = await s.deployment.operator();
  const stored = await storedRefreshToken(gatehouse, old);
  assert.ok(stored, 'the old token is stored');
  assert.equal(stored.rotatedAt, null, 'the consume of the failed rotation was rolled back');
  const retried = pairOf(await refresh(server, s.fixture.app, old), 'the retry with the old token');
  pairOf(await refresh(server, s.fixture.app, retried.refresh_token), 'the successor issued by the retry');
  assertInvalidGrant(await refresh(server, s.fixture.app, old), 'the old token once rotated');
}

describe('a refresh rotation that loses its database between consume and store (sqlite)', () => {
  let s: Setup;
  let server: ServerProcess;
  before(async () => {
    s = await setUp('sqlite');
    await s.deployment.closeOperator();
    server = await s.deployment.start();
  });
  after(() => s?.deployment.close());

  it('answers 503 and rolls the consume back: the retry with the old token gets new tokens', async () => {
    const first = pairOf(await exchange(server, s.fixture.app, s.codes[0]!), 'code exchange');
    // The successor's INSERT fails inside the rotation's transaction, after the UPDATE that consumed the old token.
    const file = new Database(s.deployment.sqliteFile!);
    try {
      file.exec(`CREATE TRIGGER reliability_fault BEFORE INSERT ON refresh_tokens BEGIN SELECT RAISE(ABORT, 'simulated storage failure'); END`);
      assertUnavailable(await refresh(server, s.fixture.app, first.refresh_token), 'the rotation that failed');
      file.exec('DROP TRIGGER reliability_fault');
    } finally {
      file.close();
    }
    await assertRolledBack(s, server, first.refresh_token);
  });
});

describe('a refresh rotation whose PostgreSQL connection is cut between consume and store', { skip: SKIP_POSTGRES }, () => {
  let s: Setup;
  let proxy: TcpProxy;
  let server: ServerProcess;
  let db: pg.Client;
  /** A client with a grace window (RFC 9700 §4.14.2): a just-rotated token is honoured again for a while. */
  let graceful: Credentials;
  let gracefulCode: { code: string; verifier: string };
  before(async () => {
    s = await setUp('postgres');
    const url = new URL(s.deployment.databaseUrl);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    server = await s.deployment.start(proxy.rewrite(s.deployment.databaseUrl));
    db = new pg.Client({ connectionString: s.deployment.databaseUrl });
    await db.connect();
    // While reliability_hold has a row, a refresh token's INSERT waits (its transaction has
    // already consumed the presented token).
    await db.query(`
      CREATE TABLE reliability_hold (held boolean);
      CREATE FUNCTION reliability_hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WHILE EXISTS (SELECT 1 FROM reliability_hold) LOOP PERFORM pg_sleep(0.05); END LOOP;
        RETURN NEW;
      END $$;
      CREATE TRIGGER reliability_hold BEFORE INSERT ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION reliability_hold();
      -- The same at COMMIT (a deferred constraint trigger runs there, before the commit is done).
      CREATE TABLE reliability_hold_commit (held boolean);
      CREATE FUNCTION reliability_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WHILE EXISTS (SELECT 1 FROM reliability_hold_commit) LOOP PERFORM pg_sleep(0.05); END LOOP;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER reliability_hold_commit AFTER INSERT ON refresh_tokens DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION reliability_hold_commit();
    `);
    const gatehouse = await s.deployment.operator();
    const created = await gatehouse.admin.clients.create({
      name: 'Mobile app',
      tenant: 'acme',
      scope: 'documents:read',
      defaultScope: 'documents:read',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
      refreshGraceSeconds: 120,
    });
    graceful = { clientId: created.client.id, secret: created.secret! };
    gracefulCode = (await issueCodes(gatehouse, { ...s.fixture, app: graceful }, 1))[0]!;
  });
  after(async () => {
    await db?.end().catch(() => {});
    await proxy?.close();
    await s?.deployment.close();
  });

  const heldBackends = async () =>
    Number((await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`)).rows[0].n);
  const openTransactions = async () =>
    Number((await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`)).rows[0].n);

  it('answers 503 and the database rolls the consume back: the retry with the old token gets new tokens', async () => {
    const first = pairOf(await exchange(server, s.fixture.app, s.codes[0]!), 'code exchange');
    await db.query('INSERT INTO reliability_hold VALUES (true)');
    const rotation = refresh(server, s.fixture.app, first.refresh_token);
    // The rotation's transaction has consumed the old token and waits in the successor's INSERT: cut.
    await until('the successor INSERT is held', 15_000, async () => (await heldBackends()) === 1);
    await proxy.cut('refuse');
    assertUnavailable(await rotation, 'the rotation whose connection was cut');
    // Let the orphaned backend finish its INSERT: it then finds its client gone and rolls back.
    await db.query('DELETE FROM reliability_hold');
    await until('the orphaned transaction has ended', 15_000, async () => (await openTransactions()) === 0);
    await proxy.restore();
    await assertRolledBack(s, server, first.refresh_token);
  });

  /** A rotation by `client` of the token `code` issued, whose connection is cut while it commits; the old token. */
  async function cutWhileCommitting(client: Credentials, code: { code: string; verifier: string }): Promise<string> {
    const first = pairOf(await exchange(server, client, code), 'code exchange');
    await db.query('INSERT INTO reliability_hold_commit VALUES (true)');
    const rotation = refresh(server, client, first.refresh_token);
    await until('the COMMIT is held', 15_000, async () => (await heldBackends()) === 1);
    await proxy.cut('refuse');
    assertUnavailable(await rotation, 'the rotation whose connection was cut while it committed');
    await db.query('DELETE FROM reliability_hold_commit');
    await until('the orphaned transaction has ended', 15_000, async () => (await openTransactions()) === 0);
    await proxy.restore();
    const gatehouse = await s.deployment.operator();
    assert.notEqual((await storedRefreshToken(gatehouse, first.refresh_token))?.rotatedAt ?? null, null, 'the rotation committed although its answer was lost');
    return first.refresh_token;
  }

  // The answer to a COMMIT can be lost: the server says 503 although the rotation is
  // durable (SECURITY.md). With a grace window the retry is honoured: never both dead.
  it('a cut while the rotation commits: the commit holds, and a client with a grace window gets new tokens with the old one', async () => {
    const old = await cutWhileCommitting(graceful, gracefulCode);
    const retried = pairOf(await refresh(server, graceful, old), 'the retry with the old token within the grace window');
    pairOf(await refresh(server, graceful, retried.refresh_token), 'the successor issued by the retry');
  });

  it('a cut while the rotation commits, without a grace window (the default): the retry is reuse and revokes the family, as SECURITY.md says', async () => {
    const old = await cutWhileCommitting(s.fixture.app, s.codes[1]!);
    assertInvalidGrant(await refresh(server, s.fixture.app, old), 'the retry with the old token, no grace window');
  });
});
