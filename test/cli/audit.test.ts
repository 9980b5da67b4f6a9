/**
 * `gatehouse audit list`, in-process through `main(argv, io)` against a fresh SQLite
 * file: the CLI's own actions are listed as the actor `cli`, newest first, filtered,
 * paged with the cursor, and never with a secret or a password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AuditPageResource } from '../../packages/server/src/core/admin/resources.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { cliJson, cliOk, runCli } from './in-process.js';

const PASSWORD = 'Tr0ub4dor&3-horse-staple';

describe('gatehouse audit list', () => {
  let dir: TempDir;
  let db: string[];
  let secret: string;

  before(async () => {
    dir = createTempDir('gatehouse-cli-audit-');
    db = ['--db', dir.sqliteUrl];
    await cliOk(['migrate', ...db]);
    await cliOk(['tenant', 'create', 'acme', ...db]);
    await cliOk(['tenant', 'create', 'globex', ...db]);
    const created = await cliJson<{ client_id: string; client_secret: string }>(['client', 'create', '--tenant', 'acme', '--name', 'Backend', ...db]);
    const rotated = await cliJson<{ client_secret: string }>(['client', 'rotate-secret', created.client_id, ...db]);
    secret = `${created.client_secret} ${rotated.client_secret}`;
    await cliOk(['user', 'create', '--tenant', 'globex', '--username', 'bob', '--password-stdin', ...db], { input: PASSWORD });
  });
  after(() => dir.remove());

  it('prints {"items": [...], "next": null}: every action of the CLI, newest first, as the actor cli', async () => {
    const page = await cliJson<AuditPageResource>(['audit', 'list', ...db]);
    assert.deepEqual(
      page.items.map((item) => [item.actor, item.tenant, item.action, item.outcome]),
      [
        ['cli', 'globex', 'user.create', 'success'],
        ['cli', 'acme', 'client.rotate_secret', 'success'],
        ['cli', 'acme', 'client.create', 'success'],
        ['cli', 'globex', 'tenant.create', 'success'],
        ['cli', 'acme', 'tenant.create', 'success'],
      ],
    );
    assert.equal(page.next, null);
    assert.deepEqual(Object.keys(page.items[0]!), ['id', 'time', 'actor', 'tenant', 'action', 'target', 'outcome', 'details']);
  });

  it('never shows a client secret or a password', async () => {
    const { stdout } = await cliOk(['audit', 'list', '--json', ...db]);
    for (const value of [...secret.split(' '), 'gatehouse_secret_', PASSWORD]) assert.ok(!stdout.includes(value));
    const text = await cliOk(['audit', 'list', ...db]);
    assert.ok(!text.stdout.includes('gatehouse_secret_'));
  });

  it('filters by tenant, action, actor and time', async () => {
    const tenants = await cliJson<AuditPageResource>(['audit', 'list', '--tenant', 'globex', ...db]);
    assert.deepEqual(tenants.items.map((item) => item.action), ['user.create', 'tenant.create']);
    const actions = await cliJson<AuditPageResource>(['audit', 'list', '--action', 'client.create', ...db]);
    assert.deepEqual(actions.items.map((item) => item.details), [{ name: 'Backend', grant_types: ['client_credentials'], scope: '', public: false, resource_server: false }]);
    assert.deepEqual((await cliJson<AuditPageResource>(['audit', 'list', '--actor', 'someone-else', ...db])).items, []);
    assert.equal((await cliJson<AuditPageResource>(['audit', 'list', '--since', '1h', ...db])).items.length, 5);
    assert.deepEqual((await cliJson<AuditPageResource>(['audit', 'list', '--since', '2999-01-01T00:00:00Z', ...db])).items, []);
  });

  it('pages with --limit and the cursor it returns', async () => {
    const first = await cliJson<AuditPageResource>(['audit', 'list', '--limit', '2', ...db]);
    assert.equal(first.items.length, 2);
    assert.ok(first.next);
    const second = await cliJson<AuditPageResource>(['audit', 'list', '--limit', '2', '--cursor', first.next, ...db]);
    assert.deepEqual(second.items.map((item) => item.action), ['client.create', 'tenant.create']);
    const text = await cliOk(['audit', 'list', '--limit', '2', ...db]);
    assert.match(text.stdout, /\(more: --cursor \S+\)/);
  });

  it('refuses a bad flag with a message naming it and its allowed values', async () => {
    const checks: [string[], RegExp][] = [
      [['--limit', '0'], /invalid --limit "0": use a whole number from 1 to 1000/],
      [['--since', 'yesterday'], /invalid --since "yesterday"/],
      [['--action', 'client.explode'], /unknown audit action "client.explode": use one of/], // client.delete exists since issue 14
      [['--cursor', 'garbage'], /invalid audit cursor/],
    ];
    for (const [flags, message] of checks) {
      const result = await runCli(['audit', 'list', ...flags, ...db]);
      assert.notEqual(result.code, 0, flags.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
  });

  it('when the database refuses the event, the action stands and the event is printed on stderr as a warning', async () => {
    const other = createTempDir('gatehouse-cli-audit-broken-');
    try {
      const otherDb = ['--db', other.sqliteUrl];
      await cliOk(['migrate', ...otherDb]);
      await cliOk(['tenant', 'create', 'first', ...otherDb]);
      const raw = new Database(other.sqliteUrl.slice('sqlite:'.length));
      raw.exec('drop table audit_events');
      raw.close();
      const result = await runCli(['tenant', 'create', 'second', ...otherDb]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /created tenant second/);
      assert.match(result.stderr, /warning: the action was done, but its audit event could not be stored: \{"time":"[^"]+","actor":"cli","tenant":"second","action":"tenant.create"/);
    } finally {
      other.remove();
    }
  });
});
