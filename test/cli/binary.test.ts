/**
 * Smoke tests of the real `gatehouse` binary (node packages/server/bin/gatehouse.js, the
 * built dist/ an operator runs): its exit codes, its output, and a password read from a
 * real standard input. Everything else about the commands is tested in-process
 * (cli.test.ts, users.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startSqliteServer } from '../helpers/process.js';
import { waitFor } from '../helpers/timing.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-binary-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = `sqlite:${join(dir, 'g.db')}`;

describe('the gatehouse binary', () => {
  it('--help prints the usage and exits 0', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: gatehouse /);
    for (const group of ['serve', 'migrate', 'tenant', 'client', 'user', 'scope', 'keys']) assert.match(result.stdout, new RegExp(`\\n  ${group}\\b`));
  });

  it('tenant create --json, a user whose password comes from a pipe, then tenant list --json: one database, exit 0 each; a conflict exits 4', async () => {
    const migrated = await runCli(['migrate', '--db', db]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const created = await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--json', '--db', db]);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(Object.keys(JSON.parse(created.stdout) as object), ['slug', 'name', 'access_token_ttl', 'disabled', 'branding', 'created_at']);

    const user = await runCli(['user', 'create', '--tenant', 'acme', '--username', 'alice', '--password-stdin', '--json', '--db', db], { input: 'correct horse battery staple\n' });
    assert.equal(user.code, 0, user.stderr);
    assert.deepEqual((JSON.parse(user.stdout) as { tenants: string[] }).tenants, ['acme']);

    const listed = await runCli(['tenant', 'list', '--json', '--db', db]);
    assert.equal(listed.code, 0, listed.stderr);
    const { tenants } = JSON.parse(listed.stdout) as { tenants: { slug: string; name: string }[] };
    assert.deepEqual(tenants.map((t) => [t.slug, t.name]), [['acme', 'Acme']]);

    const duplicate = await runCli(['tenant', 'create', 'acme', '--db', db]);
    assert.equal(duplicate.code, 4);
    assert.equal(duplicate.stdout, '');
    assert.match(duplicate.stderr, /^error: .*already exists/);
  });

  it('--version prints the version and exits 0; a usage error exits 2; a missing SQLite file exits 1 and is not created', async () => {
    const version = await runCli(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\S*\n$/);
    const usage = await runCli(['tenant', 'list', '--bogus']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown option '--bogus'/);
    const missing = await runCli(['tenant', 'list', '--db', `sqlite:${join(dir, 'typo.db')}`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: no database at .*typo\.db \(run `gatehouse migrate`/);
    assert.equal(existsSync(join(dir, 'typo.db')), false);
  });

  it('serve logs a warning for a misspelt GATEHOUSE_* variable, naming the setting it resembles', async () => {
    const gatehouse = await startSqliteServer('gatehouse-cli-binary-serve-', { env: { GATEHOUSE_LOG_LEVLE: 'debug' } });
    try {
      const warning = await waitFor('the warning in the log', async () =>
        gatehouse.server.logLines().find((line) => line.level === 40 && line.variable === 'GATEHOUSE_LOG_LEVLE'),
      );
      assert.equal(warning.msg, 'unknown environment variable GATEHOUSE_LOG_LEVLE (did you mean GATEHOUSE_LOG_LEVEL?)');
      assert.equal(warning.suggestion, 'GATEHOUSE_LOG_LEVEL');
    } finally {
      await gatehouse.close();
    }
  });
});
