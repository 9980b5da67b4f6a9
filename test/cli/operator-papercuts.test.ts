/**
 * What a new operator runs into with `gatehouse`, run in-process through `main(argv, io)`:
 * --version, the documented exit codes, the password prompt on a terminal, scopes
 * separated by commas, --json of migrate and keys withdraw, the list shape, a mistyped
 * SQLite path, configuration errors and misspelt GATEHOUSE_* variables.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyPassword } from '../../packages/server/src/core/password.js';
import { cliJson, cliOk, runCli, type RunOptions } from './in-process.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-papercuts-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A migrated database with the tenant acme; the helpers run the CLI against it. */
async function migratedDatabase() {
  const dir = freshDir();
  const db = `sqlite:${join(dir, 'g.db')}`;
  await cliOk(['migrate', '--db', db]);
  await cliOk(['tenant', 'create', 'acme', '--db', db]);
  return {
    dir,
    db,
    run: (args: string[], options?: RunOptions) => runCli([...args, '--db', db], options),
    json: <T = Record<string, unknown>>(args: string[], options?: RunOptions) => cliJson<T>([...args, '--db', db], options),
  };
}

const PASSWORD = 'correct horse battery staple';

describe('gatehouse --version', () => {
  it('--version and -V print the server package version and exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../packages/server/package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      assert.deepEqual(result, { code: 0, stdout: `${version}\n`, stderr: '' }, flag);
    }
  });
});

describe('exit codes', () => {
  let g: Awaited<ReturnType<typeof migratedDatabase>>;
  before(async () => {
    g = await migratedDatabase();
  });

  it('0 when the command succeeds', async () => {
    assert.equal((await g.run(['tenant', 'list'])).code, 0);
  });

  it('1 for invalid input (a ValidationError), with one line on stderr', async () => {
    const result = await g.run(['tenant', 'create', 'globex', '--access-token-ttl', '12x']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: invalid duration "12x"/);
  });

  it("2 for a usage error: an unknown command or option, a missing argument (commander's message, no 'error: error:')", async () => {
    for (const args of [['tenants', 'list'], ['tenant', 'list', '--bogus'], ['tenant', 'create'], []]) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `gatehouse ${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.doesNotMatch(result.stderr, /error: error:/);
    }
  });

  it('3 when the named tenant, client or user does not exist', async () => {
    const result = await g.run(['client', 'list', '--tenant', 'nope']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^error: unknown tenant "nope"/);
    assert.equal((await g.run(['client', 'show', 'no-such-client'])).code, 3);
  });

  it('4 for a conflict: a duplicate slug, or withdrawing the active key', async () => {
    const duplicate = await g.run(['tenant', 'create', 'acme']);
    assert.equal(duplicate.code, 4);
    assert.match(duplicate.stderr, /already exists/);
    const { kid } = await g.json<{ kid: string }>(['keys', 'rotate']);
    assert.equal((await g.run(['keys', 'withdraw', kid])).code, 4);
  });

  it('5 when the database cannot be reached', async () => {
    const result = await runCli(['tenant', 'list', '--db', 'postgres://postgres@127.0.0.1:1/gatehouse'], { env: { GATEHOUSE_DATA_DIR: freshDir() } });
    assert.equal(result.code, 5);
    assert.match(result.stderr, /^error: the database is unavailable/);
  });
});

describe('--password-stdin on a terminal', () => {
  /** A terminal that answers each question in turn and records what was asked. */
  function terminal(...answers: string[]) {
    const asked: string[] = [];
    return {
      asked,
      promptHidden: async (question: string) => {
        asked.push(question);
        return answers.shift() ?? '';
      },
    };
  }

  it('asks for the password twice (hidden) and uses it when both agree', async () => {
    const g = await migratedDatabase();
    const tty = terminal(PASSWORD, PASSWORD);
    const user = await g.json<{ username: string }>(['user', 'create', '--tenant', 'acme', '--username', 'alice', '--password-stdin'], { promptHidden: tty.promptHidden, input: 'not this\n' });
    assert.equal(user.username, 'alice');
    assert.deepEqual(tty.asked, ['Password:', 'Repeat password:']);
    const sqlite = new Database(join(g.dir, 'g.db'), { readonly: true });
    const { password_hash: hash } = sqlite.prepare("select password_hash from users where username_normalized = 'alice'").get() as { password_hash: string };
    sqlite.close();
    assert.equal(await verifyPassword(PASSWORD, hash), true, 'the typed password, not standard input');
  });

  it('refuses two different answers: exit 1, no user, no password printed', async () => {
    const g = await migratedDatabase();
    const result = await g.run(['user', 'create', '--tenant', 'acme', '--username', 'bob', '--password-stdin'], { promptHidden: terminal(PASSWORD, `${PASSWORD}!`).promptHidden });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: the two passwords differ/);
    assert.ok(!result.stderr.includes(PASSWORD));
    assert.deepEqual((await g.json<{ items: unknown[] }>(['user', 'list', '--tenant', 'acme'])).items, []);
  });

  it('set-password prompts alike; the rules of a password still apply', async () => {
    const g = await migratedDatabase();
    await cliOk(['user', 'create', '--tenant', 'acme', '--username', 'carol', '--password-stdin', '--db', g.db], { input: `${PASSWORD}\n` });
    const short = await g.run(['user', 'set-password', 'carol', '--password-stdin'], { promptHidden: terminal('short', 'short').promptHidden });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /too short/);
  });
});

describe('scopes separated by commas', () => {
  const hint = (given: string, meant: string) =>
    `error: invalid scope "${given}": scope names are separated by spaces, not commas (RFC 6749 §3.3) — did you mean "${meant}"?\n`;

  it('client create --scope / --default-scope and scope create refuse a comma with a hint (exit 1), and create nothing', async () => {
    const g = await migratedDatabase();
    const scope = await g.run(['client', 'create', '--tenant', 'acme', '--name', 'X', '--scope', 'a,b']);
    assert.deepEqual([scope.code, scope.stderr], [1, hint('a,b', 'a b')]);
    const defaults = await g.run(['client', 'create', '--tenant', 'acme', '--name', 'X', '--scope', 'a b', '--default-scope', 'a, b']);
    assert.deepEqual([defaults.code, defaults.stderr], [1, hint('a, b', 'a b')]);
    const catalogue = await g.run(['scope', 'create', 'documents:read,documents:write', '--tenant', 'acme', '--description', 'Read']);
    assert.deepEqual([catalogue.code, catalogue.stderr], [1, hint('documents:read,documents:write', 'documents:read documents:write')]);
    assert.deepEqual((await g.json<{ items: unknown[] }>(['client', 'list', '--tenant', 'acme'])).items, []);
    assert.deepEqual((await g.json<{ items: unknown[] }>(['scope', 'list', '--tenant', 'acme'])).items, []);
    await g.json(['client', 'create', '--tenant', 'acme', '--name', 'X', '--scope', 'a b', '--default-scope', 'a']);
  });
});

describe('--json of migrate, keys withdraw and the lists', () => {
  it('migrate --json prints {"applied": [...]}, then {"applied": []}', async () => {
    const db = `sqlite:${join(freshDir(), 'g.db')}`;
    const first = await cliJson<{ applied: string[] }>(['migrate', '--db', db]);
    assert.deepEqual(Object.keys(first), ['applied']);
    assert.ok(first.applied.length >= 1);
    for (const name of first.applied) assert.match(name, /^\d{4}-\d{2}-\d{2}T[\w-]+$/);
    assert.deepEqual(await cliJson(['migrate', '--db', db]), { applied: [] });
  });

  it('keys withdraw --json prints {"kid", "withdrawn": true}', async () => {
    const g = await migratedDatabase();
    const { kid } = await g.json<{ kid: string }>(['keys', 'rotate']);
    await g.json(['keys', 'rotate']);
    assert.deepEqual(await g.json(['keys', 'withdraw', kid]), { kid, withdrawn: true });
  });

  it('every list prints {"items": [...], "next": null} with its former key as an alias of items', async () => {
    const g = await migratedDatabase();
    await g.json(['client', 'create', '--tenant', 'acme', '--name', 'X']);
    await g.json(['scope', 'create', 'documents:read', '--tenant', 'acme', '--description', 'Read']);
    await cliOk(['user', 'create', '--tenant', 'acme', '--username', 'dora', '--password-stdin', '--db', g.db], { input: `${PASSWORD}\n` });
    await g.json(['keys', 'rotate']);
    const lists: [string[], string][] = [
      [['tenant', 'list'], 'tenants'],
      [['client', 'list', '--tenant', 'acme'], 'clients'],
      [['user', 'list', '--tenant', 'acme'], 'users'],
      [['scope', 'list', '--tenant', 'acme'], 'scopes'],
      [['keys', 'list'], 'keys'],
    ];
    for (const [args, alias] of lists) {
      const listed = await g.json<Record<string, unknown>>(args);
      assert.deepEqual(Object.keys(listed), ['items', 'next', alias], args.join(' '));
      assert.equal(listed.next, null);
      assert.ok(Array.isArray(listed.items) && listed.items.length === 1, args.join(' '));
      assert.deepEqual(listed[alias], listed.items);
    }
  });
});

describe('a SQLite file that does not exist', () => {
  it('is refused by every command but serve and migrate (exit 1), and nothing is created', async () => {
    const dir = freshDir();
    const path = join(dir, 'typo.db');
    for (const args of [['tenant', 'list'], ['tenant', 'create', 'acme'], ['keys', 'rotate'], ['client', 'list', '--tenant', 'acme']]) {
      const result = await runCli([...args, '--db', `sqlite:${path}`]);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(
        result.stderr,
        `error: no database at ${resolve(path)} (run \`gatehouse migrate\` or \`gatehouse serve\` first, or pass --db / GATEHOUSE_DATABASE_URL)\n`,
      );
    }
    assert.equal(existsSync(path), false, 'no database file was created');
    assert.equal(existsSync(join(dir, 'master.key')), false, 'no master key was created');
    const relative = await runCli(['tenant', 'list'], { env: { GATEHOUSE_DATABASE_URL: 'sqlite:./no-such-dir/gatehouse.db' } });
    assert.match(relative.stderr, new RegExp(`no database at ${resolve('no-such-dir/gatehouse.db').replace(/[/.]/g, '\\$&')} `), 'the path is made absolute');
    await cliOk(['migrate', '--db', `sqlite:${path}`]);
    await cliOk(['tenant', 'list', '--db', `sqlite:${path}`]);
  });
});

describe('configuration errors', () => {
  const cases: [Record<string, string>, string[], string][] = [
    [{ GATEHOUSE_PORT: 'abc' }, [], 'GATEHOUSE_PORT "abc": expected an integer from 0 to 65535'],
    [{ GATEHOUSE_SIGNING_ALG: 'HS256' }, [], 'GATEHOUSE_SIGNING_ALG "HS256": use ES256 or RS256'],
    [{ GATEHOUSE_LOG_LEVEL: 'loud' }, [], 'GATEHOUSE_LOG_LEVEL "loud": use one of fatal, error, warn, info, debug, trace or silent'],
    [{ GATEHOUSE_AUTHORIZATION_CODE_TTL: '1h' }, [], 'GATEHOUSE_AUTHORIZATION_CODE_TTL "1h": expected a duration from 1s to 600s (a number of seconds, or e.g. 30m, 12h)'],
    [{ GATEHOUSE_ACCESS_TOKEN_TTL: 'soon' }, [], 'GATEHOUSE_ACCESS_TOKEN_TTL "soon": use a whole number followed by s, m, h, d, w or y'],
    [{ GATEHOUSE_TRUST_PROXY: 'true' }, [], 'GATEHOUSE_TRUST_PROXY "true" would trust every X-Forwarded-For header'],
    [{ GATEHOUSE_ISSUER: 'auth.example.com' }, [], 'GATEHOUSE_ISSUER "auth.example.com" is not an absolute URL'],
    [{ GATEHOUSE_PORT: '8080' }, ['serve', '--port', '70000'], '--port "70000": expected an integer from 0 to 65535'],
    [{}, ['serve', '--port', 'eighty'], 'invalid --port "eighty": expected an integer from 0 to 65535'],
    [{}, ['serve', '--issuer', 'https://auth.example.com/?x'], '--issuer "https://auth.example.com/?x" must not contain a query or fragment'],
  ];
  for (const [env, args, message] of cases) {
    it(`names what was typed and what is allowed: ${message.split(':')[0]}`, async () => {
      const dir = freshDir();
      const result = await runCli([...(args.length > 0 ? args : ['tenant', 'list']), '--db', `sqlite:${join(dir, 'g.db')}`], { env });
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(message), `${result.stderr} should include ${message}`);
      assert.match(result.stderr, /^error: invalid /);
      assert.equal(existsSync(join(dir, 'g.db')), false);
    });
  }
});

describe('misspelt GATEHOUSE_* variables', () => {
  it('each is warned about on stderr with the closest setting; GATEHOUSE_TEST_* and the demo settings are not', async () => {
    const g = await migratedDatabase();
    const result = await g.run(['tenant', 'list', '--json'], {
      env: { GATEHOUSE_PROT: '9090', GATEHOUSE_SIGNING_ALGORITHM: 'RS256', GATEHOUSE_TEST_POSTGRES_URL: 'x', GATEHOUSE_DEMO_API: 'false', GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '5', GATEHOUSE_PORT: '8080' },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stderr,
      'warning: unknown environment variable GATEHOUSE_PROT (did you mean GATEHOUSE_PORT?)\n' +
        'warning: unknown environment variable GATEHOUSE_SIGNING_ALGORITHM (did you mean GATEHOUSE_SIGNING_ALG?)\n',
    );
    assert.deepEqual((JSON.parse(result.stdout) as { items: unknown[] }).items.length, 1, 'stdout is still one JSON object');
  });
});
