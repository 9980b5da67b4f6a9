/**
 * The PostgreSQL restore path of docs/deploy.md ("Backups"): a database seeded through the
 * CLI and used by a real server is dumped with `pg_dump --format=custom` while that server
 * runs, restored with `pg_restore` into another, empty database, and a server on the
 * restored database, given the same master key file and issuer, serves the old client and
 * verifies a token issued before the dump. Both scratch databases are dropped afterwards.
 *
 * Needs GATEHOUSE_TEST_POSTGRES_URL (a server with trust authentication, as in CI) and the
 * PostgreSQL client tools (pg_dump, pg_restore) on the PATH; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXIT_CODES } from '../../packages/server/src/cli/exit-codes.js';
import { cliJson, cliOk, runCli } from '../cli/in-process.js';
import { postForm } from '../helpers/http.js';
import { createTempPostgresDatabase, SKIP_POSTGRES, type TempDatabase } from '../helpers/postgres.js';
import { startServer, type ServerProcess } from '../helpers/process.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { basicAuth } from '../helpers/tokens.js';

const run = promisify(execFile);

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SKIP = SKIP_POSTGRES || (hasTool('pg_dump') && hasTool('pg_restore') ? false : 'pg_dump / pg_restore are not installed (Debian: apt-get install postgresql-client)');

/** Every server of the test answers as this one issuer: tokens name it, so a restore keeps it. */
const ISSUER = 'http://127.0.0.1:8080';

interface Credentials {
  client_id: string;
  client_secret: string;
}

async function tokenRequest(server: ServerProcess, client: Credentials) {
  return postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.client_id, client.client_secret) });
}

describe('restoring a PostgreSQL deployment from pg_dump', { skip: SKIP }, () => {
  const dir = createTempDir('gatehouse-pg-restore-');
  const databases: TempDatabase[] = [];
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const database of databases) await database.drop();
    dir.remove();
  });

  it('pg_dump of a live database, pg_restore into an empty one, and a server on it with the same master key serves the old client', async () => {
    const source = await createTempPostgresDatabase();
    databases.push(source);
    // Every process and CLI of a deployment reads the same key file (docs/deploy.md).
    const env = { GATEHOUSE_MASTER_KEY_FILE: join(dir.path, 'keys', 'master.key') };
    mkdirSync(join(dir.path, 'keys'), { mode: 0o700 });
    await cliOk(['migrate', '--db', source.url], { env });
    await cliOk(['tenant', 'create', 'acme', '--db', source.url], { env });
    const client = await cliJson<Credentials>(['client', 'create', '--tenant', 'acme', '--name', 'Before the dump', '--db', source.url], { env });
    const server = await startServer({ db: source.url, issuer: ISSUER, env });
    servers.push(server);
    const issued = await tokenRequest(server, client);
    assert.equal(issued.status, 200, issued.text);
    const accessToken = issued.json!.access_token as string;

    // The commands of docs/deploy.md, while the server runs (pg_dump reads one snapshot).
    const dump = join(dir.path, 'gatehouse.dump');
    await run('pg_dump', ['--format=custom', `--file=${dump}`, source.url], { timeout: 60_000 });
    const target = await createTempPostgresDatabase();
    databases.push(target);
    await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target.url}`, dump], { timeout: 60_000 });

    // Nothing to migrate: the schema came back whole, with its migration records.
    const migrate = await cliJson<{ applied: string[] }>(['migrate', '--db', target.url], { env });
    assert.deepEqual(migrate.applied, []);

    const restored = await startServer({ db: target.url, issuer: ISSUER, env });
    servers.push(restored);
    const again = await tokenRequest(restored, client);
    assert.equal(again.status, 200, again.text);
    const introspection = await postForm(`${restored.url}/oauth/introspect`, { token: accessToken }, { authorization: basicAuth(client.client_id, client.client_secret) });
    assert.equal(introspection.status, 200, introspection.text);
    assert.equal(introspection.json!.active, true, 'a token issued before the dump verifies: the sealed signing key came back, and the master key opens it');

    // Without that key file the restored database is refused, not silently given a new key.
    const keyless = await runCli(['tenant', 'list', '--db', target.url], { env: { GATEHOUSE_MASTER_KEY_FILE: join(dir.path, 'elsewhere', 'master.key') } });
    assert.equal(keyless.code, EXIT_CODES.operatorError);
    assert.match(keyless.stderr, /no master key at .*, but this database was set up with one/);
  });
});
