import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import { MIGRATION_NAMES } from '../../packages/server/src/store/sql/migrations/index.js';

describe('master key and database belong together', () => {
  let dir: string;
  const config = (keyFile: string) => loadConfig({ databaseUrl: `sqlite:${join(dir, 'g.db')}`, masterKeyFile: keyFile, logLevel: 'silent' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mk-'));
    const first = await openGatehouse(config(join(dir, 'master.key')));
    await first.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the database and the key file readable by their owner only', () => {
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'g.db')).mode & 0o077, 0, 'the database file is not readable by group or others');
  });

  it('reopens with the same key', async () => {
    const again = await openGatehouse(config(join(dir, 'master.key')));
    await again.close();
  });

  it('refuses another master key for a database set up with one, and creates nothing', async () => {
    const other = join(dir, 'elsewhere', 'master.key');
    const { loadOrCreateMasterKey } = await import('../../packages/server/src/server/master-key.js');
    loadOrCreateMasterKey(other);
    await assert.rejects(openGatehouse(config(other)), /is not the one this database was set up with/);
  });

  it('refuses to create a new key when the database already has one', async () => {
    const missing = join(dir, 'nowhere', 'master.key');
    await assert.rejects(openGatehouse(config(missing)), /no master key at .*this database was set up with one/);
    assert.equal(existsSync(missing), false);
  });

  it('the CLI mode sets up an empty database, then leaves a current one alone', async () => {
    const fresh = loadConfig({ databaseUrl: `sqlite:${join(dir, 'fresh.db')}`, masterKeyFile: join(dir, 'fresh.key'), logLevel: 'silent' });
    const first = await openGatehouse(fresh, { migrate: 'if-fresh' });
    assert.deepEqual(first.migrationsApplied, [...MIGRATION_NAMES]);
    assert.deepEqual(await first.storage.migrationStatus(), { applied: [...MIGRATION_NAMES], pending: [] });
    await first.close();
    const second = await openGatehouse(fresh, { migrate: 'if-fresh' });
    assert.deepEqual(second.migrationsApplied, []);
    await second.close();
  });
});
