/**
 * `gatehouse backup <file>` (docs/deploy.md, "Backups"): a consistent copy of the SQLite
 * database taken while a real `gatehouse serve` process writes to it, restored the way
 * the docs say (the copy plus the master key in a fresh data directory) and served again.
 * The CLI runs in-process (in-process.ts), except the backup taken under load; the servers
 * are real processes (process.ts), so `npm run build` first.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { EXIT_CODES } from '../../packages/server/src/cli/exit-codes.js';
import { postForm } from '../helpers/http.js';
import { runCli as runProcess, startServer, type ServerProcess } from '../helpers/process.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/timing.js';
import { basicAuth, jwtPayload } from '../helpers/tokens.js';
import { cliJson, cliOk, runCli } from './in-process.js';

/** Both servers answer as one issuer, on ports of their own. */
const ISSUER = 'http://127.0.0.1:8080';

interface Credentials {
  client_id: string;
  client_secret: string;
}

async function tokenRequest(server: ServerProcess, client: Credentials) {
  return postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.client_id, client.client_secret) });
}

async function token(server: ServerProcess, client: Credentials): Promise<string> {
  const response = await tokenRequest(server, client);
  assert.equal(response.status, 200, response.text);
  return response.json!.access_token as string;
}

async function introspect(server: ServerProcess, client: Credentials, accessToken: string): Promise<Record<string, unknown>> {
  const response = await postForm(`${server.url}/oauth/introspect`, { token: accessToken }, { authorization: basicAuth(client.client_id, client.client_secret) });
  assert.equal(response.status, 200, response.text);
  return response.json!;
}

function sqliteQuery<T>(file: string, sql: string): T {
  const database = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).pluck().get() as T;
  } finally {
    database.close();
  }
}

function sqliteAll<T>(file: string, sql: string): T[] {
  const database = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).pluck().all() as T[];
  } finally {
    database.close();
  }
}

describe('gatehouse backup on SQLite', () => {
  const dir = createTempDir('gatehouse-backup-');
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    dir.remove();
  });

  it('copies the database while a server writes to it; the copy and the master key, restored into a fresh data directory, serve the old clients', async (t) => {
    const live = join(dir.path, 'live');
    const db = `sqlite:${join(live, 'gatehouse.db')}`;
    await cliOk(['migrate', '--db', db]);
    await cliOk(['tenant', 'create', 'acme', '--db', db]);
    const before = await cliJson<Credentials>(['client', 'create', '--tenant', 'acme', '--name', 'Before the backup', '--db', db]);
    // Some 30 MB of ballast, so that copying takes long enough for the server's writes to
    // land during the copy (a table of its own: Gatehouse never reads it).
    const ballast = new BetterSqlite3(join(live, 'gatehouse.db'));
    ballast.exec('create table test_ballast (data blob); with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000) insert into test_ballast select randomblob(10000) from n');
    ballast.close();
    const server = await startServer({ db, issuer: ISSUER });
    servers.push(server);
    const kept = await token(server, before);
    const revoked = await token(server, before);
    assert.equal((await postForm(`${server.url}/oauth/revoke`, { token: revoked }, { authorization: basicAuth(before.client_id, before.client_secret) })).status, 200);

    // The server writes all along: a token, then its revocation (a deny-list row), again
    // and again, until the backup is done. Every answer must stay a 200: the copy never
    // locks the server out of its database.
    let writing = true;
    let revocations = 0;
    /** The jti of each token the writer revokes, in order (one at a time). */
    const revoking: string[] = [];
    const failures: string[] = [];
    const writer = (async () => {
      while (writing) {
        const issued = await tokenRequest(server, before);
        if (issued.status !== 200) {
          failures.push(`token ${issued.status} ${issued.text}`);
          continue;
        }
        const accessToken = issued.json!.access_token as string;
        revoking.push(jwtPayload(accessToken).jti as string);
        const revoke = await postForm(`${server.url}/oauth/revoke`, { token: accessToken }, { authorization: basicAuth(before.client_id, before.client_secret) });
        if (revoke.status === 200) revocations++;
        else failures.push(`revoke ${revoke.status} ${revoke.text}`);
      }
    })();
    await waitFor('the writer to get going', async () => (revocations >= 20 ? true : undefined), { timeoutMs: 30_000 });
    const committedBefore = revocations;
    const copy = join(dir.path, 'backups', 'gatehouse-copy.db');
    mkdirSync(join(dir.path, 'backups'));
    // This one command runs as a process of its own (the real bin/gatehouse.js, from dist/):
    // in-process, its synchronous copy would also stop this file's writer loop.
    const backup = await runProcess(['backup', copy, '--db', db]);
    const committedAfter = revocations;
    t.diagnostic(`revocations committed by the server while the backup ran: ${committedAfter - committedBefore}`);
    writing = false;
    await writer;
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.deepEqual(failures, []);

    const masterKeyFile = join(live, 'master.key');
    const masterKey = readFileSync(masterKeyFile, 'utf8').trim();
    assert.match(backup.stdout, new RegExp(`written to ${copy}`));
    assert.match(backup.stdout, new RegExp(`back up ${masterKeyFile} too`), 'it reminds to back up the master key, by its path');
    assert.ok(!backup.stdout.includes(masterKey) && !backup.stderr.includes(masterKey), 'the master key is never printed');
    assert.equal(statSync(copy).mode & 0o777, 0o600);

    // A consistent copy: SQLite finds nothing wrong, and it is the database as of one
    // commit. The writer revokes one token after another, so the revocations in the copy
    // are the first k of the writer's, with nothing missing between them, k at least those
    // answered before the backup started and at most those sent before it ended.
    assert.equal(sqliteQuery(copy, 'pragma integrity_check'), 'ok');
    const copied = new Set(sqliteAll<string>(copy, 'select jti from revoked_access_tokens'));
    assert.ok(copied.has(jwtPayload(revoked).jti as string));
    const k = revoking.filter((jti) => copied.has(jti)).length;
    assert.deepEqual(revoking.slice(0, k).filter((jti) => !copied.has(jti)), [], 'a prefix of the writer\'s revocations, without gaps');
    assert.equal(copied.size, k + 1, 'nothing else');
    assert.ok(k >= committedBefore && k <= committedAfter + 1, `${k} of the writer's revocations copied; ${committedBefore} answered before the backup, ${committedAfter} when it ended`);

    // Changes made after the backup are not in it.
    const later = await cliJson<Credentials>(['client', 'create', '--tenant', 'acme', '--name', 'After the backup', '--db', db]);

    // Restore as docs/deploy.md says: the copy and the master key, both 0600, into a fresh data directory.
    const restored = join(dir.path, 'restored');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(copy, join(restored, 'gatehouse.db'));
    copyFileSync(masterKeyFile, join(restored, 'master.key'));
    chmodSync(join(restored, 'master.key'), 0o600);
    // The same issuer as before, as in production (GATEHOUSE_ISSUER): tokens name it.
    const restoredServer = await startServer({ db: `sqlite:${join(restored, 'gatehouse.db')}`, issuer: ISSUER });
    servers.push(restoredServer);
    await token(restoredServer, before);
    assert.equal((await introspect(restoredServer, before, kept)).active, true, 'a token issued before the backup verifies: the signing keys came back with the master key');
    assert.equal((await introspect(restoredServer, before, revoked)).active, false, 'a revocation made before the backup holds');
    const unknown = await tokenRequest(restoredServer, later);
    assert.equal(unknown.status, 401, unknown.text);
    assert.equal(unknown.json!.error, 'invalid_client');
  });

  it('is useless without the master key: a restore without it refuses to start', async () => {
    const source = join(dir.path, 'keyless-source');
    const db = `sqlite:${join(source, 'gatehouse.db')}`;
    await cliOk(['migrate', '--db', db]);
    const copy = join(dir.path, 'keyless-copy.db');
    await cliOk(['backup', copy, '--db', db]);
    const restored = join(dir.path, 'keyless-restored');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(copy, join(restored, 'gatehouse.db'));
    const result = await runCli(['tenant', 'list', '--db', `sqlite:${join(restored, 'gatehouse.db')}`]);
    assert.equal(result.code, EXIT_CODES.operatorError);
    assert.match(result.stderr, /no master key at .*master\.key, but this database was set up with one/);
  });

  it('refuses to replace an existing file unless --force, and writes mode 0600 whatever the umask', async () => {
    const source = join(dir.path, 'force');
    const db = `sqlite:${join(source, 'gatehouse.db')}`;
    await cliOk(['migrate', '--db', db]);
    const target = join(dir.path, 'existing.db');
    writeFileSync(target, 'precious', { mode: 0o644 });

    const refused = await runCli(['backup', target, '--db', db]);
    assert.equal(refused.code, EXIT_CODES.conflict);
    assert.match(refused.stderr, /already exists: choose another name, or pass --force/);
    assert.equal(readFileSync(target, 'utf8'), 'precious', 'left untouched');

    const previous = process.umask(0o000);
    let forced;
    try {
      forced = await cliJson<{ file: string; bytes: number; master_key_file: string }>(['backup', target, '--force', '--db', db]);
    } finally {
      process.umask(previous);
    }
    assert.equal(forced.file, target);
    assert.equal(forced.bytes, statSync(target).size);
    assert.equal(forced.master_key_file, join(source, 'master.key'));
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.equal(sqliteQuery(target, 'pragma integrity_check'), 'ok');

    const itself = await runCli(['backup', join(source, 'gatehouse.db'), '--force', '--db', db]);
    assert.equal(itself.code, EXIT_CODES.operatorError);
    assert.match(itself.stderr, /is the database itself/);
  });

  it('points to pg_dump on PostgreSQL, without repeating the password of the URL', async () => {
    const result = await runCli(['backup', join(dir.path, 'never.db'), '--db', 'postgres://gatehouse:hunter2-secret@127.0.0.1:5432/gatehouse']);
    assert.equal(result.code, EXIT_CODES.operatorError);
    assert.match(result.stderr, /pg_dump --format=custom/);
    assert.match(result.stderr, /docs\/deploy\.md/);
    assert.ok(!result.stderr.includes('hunter2-secret'));
    assert.equal(result.stdout, '');
  });

  it('refuses a database that does not exist rather than copying an empty one', async () => {
    const result = await runCli(['backup', join(dir.path, 'nothing.db'), '--db', `sqlite:${join(dir.path, 'missing', 'gatehouse.db')}`]);
    assert.equal(result.code, EXIT_CODES.operatorError);
    assert.match(result.stderr, /no database at /);
  });
});
