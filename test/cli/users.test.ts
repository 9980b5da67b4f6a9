/**
 * Tests of `gatehouse user …` and `gatehouse scope …`, run in-process through
 * `main(argv, io)` with the password on the command's standard input, against a fresh
 * SQLite file. binary.test.ts reads a password from a real process's standard input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyPassword } from '../../packages/server/src/core/password.js';
import { runCli as runInProcess, type CliRun } from './in-process.js';

const PASSWORD = 'Tr0ub4dor&3-horse-staple';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every CLI result of this file, to prove no password was ever printed. */
const printed: CliRun[] = [];

/** Runs `gatehouse ...args` with `input` on its standard input. */
async function runCli(args: string[], input = ''): Promise<CliRun> {
  const result = await runInProcess(args, { input });
  printed.push(result);
  return result;
}

/** A fresh database; the helpers run the CLI against it. */
function freshDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-users-'));
  dirs.push(dir);
  const db = `sqlite:${join(dir, 'g.db')}`;
  // Only `migrate` and `serve` create a database: migrate before the first command.
  let migrated: Promise<CliRun> | undefined;
  const run = async (args: string[], input?: string) => {
    await (migrated ??= runCli(['migrate', '--db', db]));
    return runCli([...args, '--db', db], input);
  };
  const ok = async (args: string[], input?: string) => {
    const result = await run(args, input);
    assert.equal(result.code, 0, `gatehouse ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result;
  };
  const json = async <T = Record<string, unknown>>(args: string[], input?: string): Promise<T> => {
    const result = await ok([...args, '--json'], input);
    assert.equal(result.stdout.trim().split('\n').length, 1, 'exactly one line of JSON');
    const value = JSON.parse(result.stdout) as T;
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), 'one JSON object');
    return value;
  };
  /** The stored password hash of a user, read from the database file directly. */
  const storedHash = (username: string): string | undefined => {
    const sqlite = new Database(join(dir, 'g.db'), { readonly: true });
    try {
      const row = sqlite.prepare('select password_hash from users where username_normalized = ?').get(username.toLowerCase()) as { password_hash: string } | undefined;
      return row?.password_hash;
    } finally {
      sqlite.close();
    }
  };
  return { dir, db, run, ok, json, storedHash };
}

/** An operator error: exit 1 (invalid input; 3 not found, 4 conflict), one clear line on stderr, nothing on stdout. */
function assertOperatorError(result: CliRun, message: RegExp, code: 1 | 3 | 4 = 1): void {
  assert.equal(result.code, code, `expected exit ${code}; stdout: ${result.stdout}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '', 'nothing may be printed on stdout on error');
  assert.match(result.stderr, /^error: /m);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for an operator error');
}

interface UserJson {
  username: string;
  tenants: string[];
  disabled: boolean;
  created_at: string;
}

describe('gatehouse user create', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok(['tenant', 'create', 'acme']);
    await g.ok(['tenant', 'create', 'globex']);
  });

  it('--json prints exactly one object {username, tenants, disabled, created_at}; the password comes from stdin without its newline', async () => {
    const user = await g.json<UserJson>(['user', 'create', '--tenant', 'acme', '--username', 'Alice', '--password-stdin'], `${PASSWORD}\n`);
    assert.deepEqual(Object.keys(user).sort(), ['created_at', 'disabled', 'tenants', 'username']);
    assert.equal(user.username, 'Alice');
    assert.deepEqual(user.tenants, ['acme']);
    assert.equal(user.disabled, false);
    assert.ok(Math.abs(Date.parse(user.created_at) - Date.now()) < 60_000, 'created_at is an ISO time of now');

    const hash = g.storedHash('alice');
    assert.match(hash ?? '', /^scrypt\$v1\$N=32768,r=8,p=1\$/);
    assert.equal(await verifyPassword(PASSWORD, hash!), true, 'the trailing newline was stripped');
    assert.equal(await verifyPassword(`${PASSWORD}\n`, hash!), false);
  });

  it('strips a Windows line ending and takes input without any newline as it is', async () => {
    await g.ok(['user', 'create', '--tenant', 'acme', '--username', 'crlf.user', '--password-stdin'], `${PASSWORD}\r\n`);
    assert.equal(await verifyPassword(PASSWORD, g.storedHash('crlf.user')!), true);
    await g.ok(['user', 'create', '--tenant', 'acme', '--username', 'no.newline', '--password-stdin'], `  ${PASSWORD}  `);
    assert.equal(await verifyPassword(`  ${PASSWORD}  `, g.storedHash('no.newline')!), true, 'spaces are part of the password');
  });

  it('without --json, says what it created in one line', async () => {
    const result = await g.ok(['user', 'create', '--tenant', 'globex', '--username', 'bob@example.com', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(result.stdout, 'created user bob@example.com in tenant globex\n');
  });

  const refusals: [what: string, username: string, flags: string[], input: string, message: RegExp][] = [
    ['an empty password', 'empty.pw', ['--password-stdin'], '\n', /password is empty/],
    ['no input at all', 'no.input', ['--password-stdin'], '', /password is empty/],
    ['a password shorter than 10 characters', 'short.pw', ['--password-stdin'], '123456789\n', /too short.*at least 10 characters/],
    ['several lines on stdin', 'two.lines', ['--password-stdin'], `${PASSWORD}\nsecond line\n`, /one line/],
    ['a missing --password-stdin', 'no.flag', [], `${PASSWORD}\n`, /--password-stdin/],
    ['an invalid username', 'not valid!', ['--password-stdin'], `${PASSWORD}\n`, /invalid username "not valid!": use 1-64 characters/],
    ['a username over 64 characters', 'x'.repeat(65), ['--password-stdin'], `${PASSWORD}\n`, /invalid username/],
  ];
  for (const [what, username, flags, input, message] of refusals) {
    it(`refuses ${what}: exit 1, a clear message on stderr, no user created`, async () => {
      assertOperatorError(await g.run(['user', 'create', '--tenant', 'acme', '--username', username, ...flags], input), message);
      assert.equal(g.storedHash(username), undefined, 'no user was created');
    });
  }

  it('refuses a username taken in another letter case, and keeps the first password', async () => {
    const before = g.storedHash('alice');
    assertOperatorError(
      await g.run(['user', 'create', '--tenant', 'globex', '--username', 'ALICE', '--password-stdin'], 'another password entirely\n'),
      /username "ALICE" is taken \(usernames are compared ignoring case\)/, 4,
    );
    assert.equal(g.storedHash('alice'), before);
    const globex = await g.json<{ users: UserJson[] }>(['user', 'list', '--tenant', 'globex']);
    assert.ok(!globex.users.some((u) => u.username.toLowerCase() === 'alice'));
  });

  it('refuses an unknown tenant with a clear message, and creates no user', async () => {
    assertOperatorError(await g.run(['user', 'create', '--tenant', 'initech', '--username', 'carol', '--password-stdin'], `${PASSWORD}\n`), /unknown tenant "initech"/, 3);
    assert.equal(g.storedHash('carol'), undefined);
  });
});

describe('gatehouse user add-tenant / list / set-password / disable', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok(['tenant', 'create', 'acme']);
    await g.ok(['tenant', 'create', 'globex']);
    await g.ok(['tenant', 'create', 'initech']);
    await g.ok(['user', 'create', '--tenant', 'acme', '--username', 'Alice', '--password-stdin'], `${PASSWORD}\n`);
    await g.ok(['user', 'create', '--tenant', 'globex', '--username', 'bob', '--password-stdin'], `${PASSWORD}\n`);
  });

  it('add-tenant adds a second tenant (any letter case of the username), and is idempotent', async () => {
    const first = await g.ok(['user', 'add-tenant', 'alice', 'globex']);
    assert.equal(first.stdout, 'user Alice now belongs to tenant globex\n');
    const again = await g.ok(['user', 'add-tenant', 'ALICE', 'globex']);
    assert.equal(again.stdout, 'user Alice already belongs to tenant globex\n');
    const json = await g.json<UserJson>(['user', 'add-tenant', 'Alice', 'globex']);
    assert.deepEqual(json.tenants, ['acme', 'globex']);
  });

  it('add-tenant refuses an unknown user or tenant: exit 1, clear message', async () => {
    assertOperatorError(await g.run(['user', 'add-tenant', 'mallory', 'globex']), /no user "mallory"/, 3);
    assertOperatorError(await g.run(['user', 'add-tenant', 'alice', 'nowhere']), /unknown tenant "nowhere"/, 3);
  });

  it("list --tenant shows that tenant's users only, as one JSON object", async () => {
    const acme = await g.json<{ users: UserJson[] }>(['user', 'list', '--tenant', 'acme']);
    assert.deepEqual(acme.users.map((u) => [u.username, u.tenants]), [['Alice', ['acme', 'globex']]]);
    const globex = await g.json<{ users: UserJson[] }>(['user', 'list', '--tenant', 'globex']);
    assert.deepEqual(globex.users.map((u) => u.username), ['Alice', 'bob']);
    const initech = await g.json<{ users: UserJson[] }>(['user', 'list', '--tenant', 'initech']);
    assert.deepEqual(initech.users, []);
    const text = await g.ok(['user', 'list', '--tenant', 'globex']);
    assert.equal(text.stdout, 'Alice\tacme,globex\nbob\tglobex\n');
    assertOperatorError(await g.run(['user', 'list', '--tenant', 'nowhere']), /unknown tenant "nowhere"/, 3);
  });

  it('set-password replaces the password: the new one verifies, the old one no longer does', async () => {
    const replacement = 'a-completely-new-passphrase';
    const result = await g.ok(['user', 'set-password', 'bob', '--password-stdin'], `${replacement}\n`);
    assert.equal(result.stdout, 'password of user bob changed\n');
    const hash = g.storedHash('bob')!;
    assert.equal(await verifyPassword(replacement, hash), true);
    assert.equal(await verifyPassword(PASSWORD, hash), false);
  });

  it('set-password refuses a short password, a missing --password-stdin and an unknown user, and changes nothing', async () => {
    const before = g.storedHash('alice');
    assertOperatorError(await g.run(['user', 'set-password', 'alice', '--password-stdin'], 'short\n'), /too short/);
    assertOperatorError(await g.run(['user', 'set-password', 'alice'], `${PASSWORD}\n`), /--password-stdin/);
    assertOperatorError(await g.run(['user', 'set-password', 'mallory', '--password-stdin'], `${PASSWORD}\n`), /no user "mallory"/, 3);
    assert.equal(g.storedHash('alice'), before);
  });

  it('disable marks the user disabled; an unknown user is refused', async () => {
    const result = await g.ok(['user', 'disable', 'BOB']);
    assert.match(result.stdout, /^user bob disabled/);
    const globex = await g.json<{ users: UserJson[] }>(['user', 'list', '--tenant', 'globex']);
    assert.deepEqual(globex.users.map((u) => [u.username, u.disabled]), [['Alice', false], ['bob', true]]);
    assertOperatorError(await g.run(['user', 'disable', 'mallory']), /no user "mallory"/, 3);
  });
});

describe('gatehouse user delete', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok(['tenant', 'create', 'acme']);
    await g.ok(['user', 'create', '--tenant', 'acme', '--username', 'Dora', '--password-stdin'], `${PASSWORD}\n`);
  });

  it('erases the user (any letter case), records user.delete, and frees the username; an unknown user is refused', async () => {
    const deleted = await g.json<UserJson & { deleted: boolean }>(['user', 'delete', 'dora']);
    assert.deepEqual([deleted.username, deleted.deleted], ['Dora', true]);
    assert.deepEqual((await g.json<{ items: UserJson[] }>(['user', 'list', '--tenant', 'acme'])).items, []);
    const events = await g.json<{ items: { action: string; target: string; outcome: string }[] }>(['audit', 'list', '--action', 'user.delete']);
    assert.deepEqual(events.items.map((e) => [e.target, e.outcome]), [['Dora', 'success']]);
    assertOperatorError(await g.run(['user', 'delete', 'dora']), /no user "dora"/, 3);
    await g.ok(['user', 'create', '--tenant', 'acme', '--username', 'dora', '--password-stdin'], `${PASSWORD}\n`);
  });
});

describe('gatehouse scope create / list', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok(['tenant', 'create', 'acme']);
    await g.ok(['tenant', 'create', 'globex']);
  });

  it('creates a scope with its description, then updates the description; --json prints one object', async () => {
    const created = await g.json(['scope', 'create', '--tenant', 'acme', 'documents:read', '--description', 'Read your documents']);
    assert.deepEqual(created, { tenant: 'acme', name: 'documents:read', description: 'Read your documents' });
    await g.ok(['scope', 'create', '--tenant', 'acme', 'documents:read', '--description', 'Read and download your documents']);
    await g.ok(['scope', 'create', '--tenant', 'acme', 'documents:write', '--description', 'Upload documents']);
    const listed = await g.json<{ scopes: { name: string; description: string }[] }>(['scope', 'list', '--tenant', 'acme']);
    assert.deepEqual(listed.scopes, [
      { name: 'documents:read', description: 'Read and download your documents' },
      { name: 'documents:write', description: 'Upload documents' },
    ]);
    const text = await g.ok(['scope', 'list', '--tenant', 'acme']);
    assert.equal(text.stdout, 'documents:read\tRead and download your documents\ndocuments:write\tUpload documents\n');
    assert.deepEqual((await g.json<{ scopes: unknown[] }>(['scope', 'list', '--tenant', 'globex'])).scopes, [], "another tenant's catalogue is separate");
  });

  it('refuses an unknown tenant, an invalid scope name and an empty description', async () => {
    assertOperatorError(await g.run(['scope', 'create', '--tenant', 'nowhere', 'documents:read', '--description', 'x']), /unknown tenant "nowhere"/, 3);
    assertOperatorError(await g.run(['scope', 'list', '--tenant', 'nowhere']), /unknown tenant "nowhere"/, 3);
    assertOperatorError(await g.run(['scope', 'create', '--tenant', 'acme', 'bad"scope', '--description', 'x']), /invalid scope name/);
    assertOperatorError(await g.run(['scope', 'create', '--tenant', 'acme', 'documents:delete', '--description', '   ']), /description must be 1-500 characters/);
    const listed = await g.json<{ scopes: { name: string }[] }>(['scope', 'list', '--tenant', 'acme']);
    assert.ok(!listed.scopes.some((s) => s.name === 'documents:delete' || s.name === 'bad"scope'));
  });
});

describe('passwords at rest and in output', () => {
  it('the password appears in no output of any command, and nowhere in the database files', async () => {
    const g = freshDatabase();
    const password = `unique-${Date.now()}-Pässwörd`;
    await g.ok(['tenant', 'create', 'acme']);
    await g.json(['user', 'create', '--tenant', 'acme', '--username', 'dora', '--password-stdin'], `${password}\n`);
    await g.run(['user', 'create', '--tenant', 'acme', '--username', 'DORA', '--password-stdin'], `${password}\n`);
    await g.run(['user', 'create', '--tenant', 'acme', '--username', 'erin', '--password-stdin'], `${password}\nsecond line\n`);
    await g.ok(['user', 'set-password', 'dora', '--password-stdin'], `${password}-2\n`);
    await g.run(['user', 'set-password', 'dora', '--password-stdin'], 'tiny\n');
    await g.json(['user', 'list', '--tenant', 'acme']);
    assert.equal(await verifyPassword(`${password}-2`, g.storedHash('dora')!), true);

    for (const result of printed) {
      for (const secret of [PASSWORD, password, 'tiny']) {
        assert.ok(!result.stdout.includes(secret), `stdout contains a password: ${result.stdout}`);
        assert.ok(!result.stderr.includes(secret), `stderr contains a password: ${result.stderr}`);
      }
    }

    const files = readdirSync(g.dir).filter((name) => name.startsWith('g.db'));
    assert.ok(files.includes('g.db'));
    let sawUsername = false;
    for (const name of files) {
      const bytes = readFileSync(join(g.dir, name));
      if (bytes.includes('dora')) sawUsername = true;
      for (const secret of [password, `${password}-2`]) {
        assert.equal(bytes.indexOf(Buffer.from(secret, 'utf8')), -1, `${name} contains the password`);
        assert.equal(bytes.indexOf(Buffer.from(secret, 'utf16le')), -1, `${name} contains the password (UTF-16)`);
      }
    }
    assert.ok(sawUsername, 'the user is stored in these files (so the search above looked at the right bytes)');
  });
});
