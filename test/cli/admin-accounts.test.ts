/**
 * `gatehouse admin …` (operator and tenant-admin accounts), run in-process through
 * `main(argv, io)` against a fresh SQLite file, and the line `serve` logs while there is
 * no operator account.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { verifyPassword } from '../../packages/server/src/core/password.js';
import { startServer } from '../../packages/server/src/server/serve.js';
import { EXIT_CODES } from '../../packages/server/src/cli/exit-codes.js';
import { runCli, type CliRun } from './in-process.js';

const PASSWORD = 'operator-pass-phrase-1';
const NEW_PASSWORD = 'another-long-pass-phrase';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const printed: CliRun[] = [];

function freshDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-admins-'));
  dirs.push(dir);
  const file = join(dir, 'g.db');
  const db = `sqlite:${file}`;
  let migrated: Promise<CliRun> | undefined;
  const run = async (args: string[], input?: string, promptHidden?: (q: string) => Promise<string>) => {
    await (migrated ??= runCli(['migrate', '--db', db]));
    const result = await runCli([...args, '--db', db], { ...(input !== undefined ? { input } : {}), ...(promptHidden ? { promptHidden } : {}) });
    printed.push(result);
    return result;
  };
  const ok = async (args: string[], input?: string) => {
    const result = await run(args, input);
    assert.equal(result.code, 0, `gatehouse ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result;
  };
  const json = async <T = Record<string, unknown>>(args: string[], input?: string): Promise<T> => JSON.parse((await ok([...args, '--json'], input)).stdout) as T;
  const row = (username: string) => {
    const sqlite = new Database(file, { readonly: true });
    try {
      return sqlite.prepare('select * from admin_accounts where username_normalized = ?').get(username.toLowerCase()) as Record<string, unknown> | undefined;
    } finally {
      sqlite.close();
    }
  };
  return { dir, db, run, ok, json, row };
}

interface AdminJson {
  username: string;
  role: string;
  tenant: string | null;
  disabled: boolean;
  mfa: boolean;
  recovery_codes_left: number;
  created_at: string;
  last_sign_in_at: string | null;
}

describe('gatehouse admin', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok(['tenant', 'create', 'acme']);
    await g.ok(['tenant', 'create', 'globex']);
  });

  it('create makes an operator (no --tenant): one JSON object, the password scrypt-hashed from stdin', async () => {
    const created = await g.json<AdminJson>(['admin', 'create', '--username', 'Ops', '--password-stdin'], `${PASSWORD}\n`);
    assert.deepEqual(Object.keys(created).sort(), ['created_at', 'disabled', 'last_sign_in_at', 'mfa', 'recovery_codes_left', 'role', 'tenant', 'username']);
    assert.equal(created.role, 'operator');
    assert.equal(created.tenant, null);
    assert.equal(created.mfa, false);
    const hash = g.row('ops')?.password_hash as string;
    assert.equal(await verifyPassword(PASSWORD, hash), true);
  });

  it('create --tenant makes a tenant admin; the text output says which', async () => {
    const result = await g.ok(['admin', 'create', '--tenant', 'acme', '--username', 'acme.admin', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(result.stdout, 'created tenant admin acme.admin of acme; sign in at /admin/login\n');
    const other = await g.json<AdminJson>(['admin', 'create', '--tenant', 'globex', '--username', 'globex.admin', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(other.role, 'tenant_admin');
    assert.equal(other.tenant, 'globex');
  });

  it('at a terminal, --password-stdin asks twice without echo, and refuses two different answers', async () => {
    const questions: string[] = [];
    const answers = ['typed-at-a-terminal-1', 'typed-at-a-terminal-1'];
    const made = await g.run(['admin', 'create', '--username', 'tty.ops', '--password-stdin'], undefined, async (q) => (questions.push(q), answers.shift()!));
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(questions, ['Password:', 'Repeat password:']);
    const differ = ['first-password-xx', 'second-password-x'];
    const refused = await g.run(['admin', 'create', '--username', 'tty.other', '--password-stdin'], undefined, async () => differ.shift()!);
    assert.equal(refused.code, EXIT_CODES.operatorError);
    assert.match(refused.stderr, /differ/);
    assert.equal(g.row('tty.other'), undefined);
  });

  it('refuses an unknown tenant (exit 3), a taken username in any case (exit 4), a short password (exit 1), a missing --username (exit 2)', async () => {
    const unknown = await g.run(['admin', 'create', '--tenant', 'nope', '--username', 'x.admin', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(unknown.code, EXIT_CODES.notFound);
    assert.match(unknown.stderr, /unknown tenant "nope"/);
    const taken = await g.run(['admin', 'create', '--username', 'OPS', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(taken.code, EXIT_CODES.conflict);
    assert.match(taken.stderr, /taken/);
    const short = await g.run(['admin', 'create', '--username', 'short.pw', '--password-stdin'], 'short\n');
    assert.equal(short.code, EXIT_CODES.operatorError);
    assert.match(short.stderr, /too short/);
    assert.equal((await g.run(['admin', 'create', '--password-stdin'], `${PASSWORD}\n`)).code, EXIT_CODES.usage);
  });

  it('list shows every account, or with --tenant only that tenant\'s admins (never another tenant\'s, never operators)', async () => {
    const all = await g.json<{ items: AdminJson[] }>(['admin', 'list']);
    assert.deepEqual(all.items.map((a) => a.username).sort(), ['acme.admin', 'globex.admin', 'Ops', 'tty.ops'].sort());
    const acme = await g.json<{ items: AdminJson[] }>(['admin', 'list', '--tenant', 'acme']);
    assert.deepEqual(acme.items.map((a) => a.username), ['acme.admin']);
    const text = await g.ok(['admin', 'list']);
    assert.match(text.stdout, /^Ops\toperator\tno-mfa$/m);
    assert.match(text.stdout, /^acme\.admin\tacme\tno-mfa$/m);
    assert.equal((await g.run(['admin', 'list', '--tenant', 'nope'])).code, EXIT_CODES.notFound);
  });

  it('reset-password replaces the hash; disable-mfa clears the second factor; delete removes the account; unknown names exit 3', async () => {
    await g.ok(['admin', 'reset-password', '--username', 'acme.admin', '--password-stdin'], `${NEW_PASSWORD}\n`);
    assert.equal(await verifyPassword(NEW_PASSWORD, g.row('acme.admin')?.password_hash as string), true);
    const sqlite = new Database(join(g.dir, 'g.db'));
    sqlite.prepare("update admin_accounts set totp_secret_sealed = 'v1.x', totp_last_step = 5 where username_normalized = 'acme.admin'").run();
    sqlite.close();
    assert.equal((await g.json<{ items: AdminJson[] }>(['admin', 'list', '--tenant', 'acme'])).items[0]?.mfa, true);
    const cleared = await g.json<AdminJson>(['admin', 'disable-mfa', '--username', 'acme.admin']);
    assert.equal(cleared.mfa, false);
    assert.equal(g.row('acme.admin')?.totp_secret_sealed, null);
    const deleted = await g.json<AdminJson & { deleted: boolean }>(['admin', 'delete', '--username', 'ACME.admin']);
    assert.equal(deleted.deleted, true);
    assert.equal(g.row('acme.admin'), undefined);
    for (const args of [['admin', 'delete', '--username', 'acme.admin'], ['admin', 'disable-mfa', '--username', 'ghost'], ['admin', 'reset-password', '--username', 'ghost', '--password-stdin']]) {
      const result = await g.run(args, `${PASSWORD}\n`);
      assert.equal(result.code, EXIT_CODES.notFound, args.join(' '));
      assert.match(result.stderr, /no admin account/);
    }
  });

  it('never prints a password, and the audit log records the actions without one', async () => {
    for (const result of printed) {
      for (const secret of [PASSWORD, NEW_PASSWORD, 'typed-at-a-terminal-1']) {
        assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'no password printed');
      }
    }
    const audit = await g.ok(['audit', 'list', '--json']);
    assert.match(audit.stdout, /admin\.create/);
    assert.match(audit.stdout, /admin\.reset_password/);
    assert.match(audit.stdout, /admin\.disable_mfa/);
    assert.match(audit.stdout, /admin\.delete/);
    for (const secret of [PASSWORD, NEW_PASSWORD]) assert.ok(!audit.stdout.includes(secret));
  });
});

describe('gatehouse serve without an operator account', () => {
  async function startupLogs(setup?: (db: string) => Promise<void>): Promise<{ msg: string }[]> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-admin-'));
    dirs.push(dir);
    const db = `sqlite:${join(dir, 'db.sqlite')}`;
    if (setup) await setup(db);
    const lines: { msg: string }[] = [];
    const config = loadConfig({ databaseUrl: db, dataDir: dir, host: '127.0.0.1', port: 0, issuer: 'http://127.0.0.1:8080' });
    const server = await startServer(config, { logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } } });
    await server.close();
    return lines;
  }

  it('logs one line saying how to create one', async () => {
    const lines = (await startupLogs()).filter((line) => /operator account/.test(line.msg));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.msg, /gatehouse admin create --username NAME --password-stdin/);
    assert.match(lines[0]!.msg, /http:\/\/127\.0\.0\.1:8080\/admin/);
  });

  it('says nothing of it once an operator exists (a tenant admin is not enough)', async () => {
    const lines = await startupLogs(async (db) => {
      const env = { GATEHOUSE_DATA_DIR: join(db.slice('sqlite:'.length), '..') };
      assert.equal((await runCli(['migrate', '--db', db], { env })).code, 0);
      assert.equal((await runCli(['admin', 'create', '--username', 'root.ops', '--password-stdin', '--db', db], { input: `${PASSWORD}\n`, env })).code, 0);
    });
    assert.equal(lines.filter((line) => /operator account/.test(line.msg)).length, 0);
  });
});
