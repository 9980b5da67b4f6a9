/**
 * What docs/deploy.md ("Upgrades") tells operators: a version older than the schema (one that
 * does not know a migration already applied) refuses to migrate or serve the database, so a
 * rollback after an upgrade is a restore of the backup taken before it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { EXIT_CODES } from '../../packages/server/src/cli/exit-codes.js';
import { cliOk, runCli } from '../cli/in-process.js';
import { runCli as runProcess } from '../helpers/process.js';
import { createTempDir } from '../helpers/temp-dir.js';

describe('upgrades and the schema version', () => {
  const dir = createTempDir('gatehouse-upgrade-');
  after(() => dir.remove());

  it('refuses a database migrated by a newer version, with the migration it does not know', async () => {
    const file = join(dir.path, 'gatehouse.db');
    const db = `sqlite:${file}`;
    await cliOk(['migrate', '--db', db]);
    await cliOk(['tenant', 'create', 'acme', '--db', db]);
    // A newer version's migration, as it would be recorded after that version migrated.
    const database = new BetterSqlite3(file);
    database.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('2999-01-01T00-00-from-the-future', new Date().toISOString());
    database.close();

    const migrate = await runCli(['migrate', '--db', db]);
    assert.equal(migrate.code, EXIT_CODES.storageUnavailable, migrate.stderr);
    assert.match(migrate.stderr, /previously executed migration 2999-01-01T00-00-from-the-future is missing/);
    // `serve` migrates on start the same way: it stops instead of serving.
    const serve = await runProcess(['serve', '--port', '0', '--db', db], { timeoutMs: 30_000 });
    assert.equal(serve.code, EXIT_CODES.storageUnavailable, serve.stderr);
    assert.match(serve.stderr, /previously executed migration 2999-01-01T00-00-from-the-future is missing/);
  });
});
