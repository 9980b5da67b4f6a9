/**
 * Issue 16 (Low): a data directory or a master key file that other users may read is
 * refused by the CLI and the server alike, with the chmod to run (the CLI used to accept
 * a world-readable key silently; the server only warned, and never looked at a data
 * directory that existed before it).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import { runCli } from '../cli/in-process.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('file modes', () => {
  let dir: TempDir;
  let dataDir: string;
  let keyFile: string;
  let db: string;

  beforeEach(async () => {
    dir = createTempDir('gatehouse-modes-');
    dataDir = join(dir.path, 'data');
    keyFile = join(dataDir, 'master.key');
    db = `sqlite:${join(dataDir, 'gatehouse.db')}`;
    // A working install: the CLI sets it up (data directory 0700, key 0600).
    const setUp = await runCli(['migrate', '--db', db]);
    assert.equal(setUp.code, 0, setUp.stderr);
  });
  afterEach(() => dir.remove());

  it('the CLI refuses a master key file readable by others, naming it and the chmod', async () => {
    chmodSync(keyFile, 0o644);
    const result = await runCli(['tenant', 'list', '--db', db]);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(`the master key file ${keyFile} is accessible to other users (mode 0644): run \`chmod 600 ${keyFile}\``), result.stderr);
    chmodSync(keyFile, 0o600);
    assert.equal((await runCli(['tenant', 'list', '--db', db])).code, 0);
  });

  it('the CLI refuses a pre-existing data directory others may enter, naming it and the chmod', async () => {
    chmodSync(dataDir, 0o755);
    const result = await runCli(['tenant', 'list', '--db', db]);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(`the data directory ${dataDir} is accessible to other users (mode 0755): run \`chmod 700 ${dataDir}\``), result.stderr);
    chmodSync(dataDir, 0o700);
    assert.equal((await runCli(['tenant', 'list', '--db', db])).code, 0);
  });

  it('the server refuses both too (it only warned about the key)', async () => {
    const config = loadConfig({ databaseUrl: db, logLevel: 'silent' });
    chmodSync(keyFile, 0o604);
    await assert.rejects(openGatehouse(config), /the master key file .* is accessible to other users \(mode 0604\): run `chmod 600 /);
    chmodSync(keyFile, 0o600);
    chmodSync(dataDir, 0o701);
    await assert.rejects(openGatehouse(config), /the data directory .* is accessible to other users \(mode 0701\): run `chmod 700 /);
    chmodSync(dataDir, 0o700);
    await (await openGatehouse(config)).close();
  });

  it("accepts access for the file's group (a Kubernetes secret mounted with fsGroup is 0440)", async () => {
    chmodSync(keyFile, 0o440);
    chmodSync(dataDir, 0o750);
    const result = await runCli(['tenant', 'list', '--db', db]);
    assert.equal(result.code, 0, result.stderr);
  });

  it('a key file elsewhere, made by hand with the usual umask, is refused until chmod 600', async () => {
    const elsewhere = join(dir.path, 'etc');
    mkdirSync(elsewhere, { mode: 0o700 });
    const other = join(elsewhere, 'fresh.key');
    writeFileSync(other, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    chmodSync(other, 0o644);
    const freshDb = `sqlite:${join(dir.path, 'fresh', 'gatehouse.db')}`;
    const refused = await runCli(['migrate', '--db', freshDb], { env: { GATEHOUSE_MASTER_KEY_FILE: other } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /chmod 600 /);
    chmodSync(other, 0o600);
    const accepted = await runCli(['migrate', '--db', freshDb], { env: { GATEHOUSE_MASTER_KEY_FILE: other } });
    assert.equal(accepted.code, 0, accepted.stderr);
  });
});
