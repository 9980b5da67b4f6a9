/**
 * Tests of the `gatehouse` CLI, run in-process through `main(argv, io)` (what
 * bin/gatehouse.js calls) against a fresh SQLite file: the same arguments, output and
 * exit codes as an operator gets. binary.test.ts runs the real binary.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cliJson, cliOk, runCli, type CliRun } from './in-process.js';

const SECRET = /^gatehouse_secret_([A-Za-z0-9_-]{43})$/;

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh database; `g.run(...)` runs the CLI against it. Only `migrate` and `serve`
 * create a database, so the first command is `migrate` unless `{ migrated: false }`.
 */
function freshDatabase(options: { migrated?: boolean } = {}) {
  const dir = freshDir();
  const db = `sqlite:${join(dir, 'g.db')}`;
  let migrated: Promise<unknown> | undefined = options.migrated === false ? Promise.resolve() : undefined;
  const ready = () => (migrated ??= cliOk(['migrate', '--db', db]));
  return {
    dir,
    db,
    run: async (...args: string[]) => (await ready(), runCli([...args, '--db', db])),
    ok: async (...args: string[]) => (await ready(), cliOk([...args, '--db', db])),
    json: async <T = Record<string, unknown>>(...args: string[]) => (await ready(), cliJson<T>([...args, '--db', db])),
  };
}

/**
 * An operator error: non-zero exit (1 invalid input, 3 not found, 4 conflict), one clear
 * line on stderr, nothing on stdout.
 */
function assertOperatorError(result: CliRun, message: RegExp, code: 1 | 3 | 4 = 1): void {
  assert.notEqual(result.code, 0, `expected a non-zero exit; stdout: ${result.stdout}`);
  assert.equal(result.code, code);
  assert.equal(result.stdout, '', 'nothing may be printed on stdout on error');
  assert.match(result.stderr, message);
  assert.match(result.stderr, /^error: /);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for an operator error');
}

interface ClientJson {
  client_id: string;
  client_secret?: string;
  tenant: string;
  name: string;
  public: boolean;
  grant_types: string[];
  scope: string;
  default_scope: string;
  redirect_uris: string[];
  access_token_ttl: number | null;
  refresh_idle_ttl: number;
  refresh_absolute_ttl: number;
  refresh_grace: number;
  disabled: boolean;
}

describe('gatehouse tenant create', () => {
  it('prints exactly one JSON object with slug and name, and exits 0', async () => {
    const g = freshDatabase();
    const result = await g.ok('tenant', 'create', 'acme', '--name', 'Acme', '--json');
    const tenant = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(typeof tenant, 'object');
    assert.ok(!Array.isArray(tenant));
    assert.equal(tenant.slug, 'acme');
    assert.equal(tenant.name, 'Acme');
    assert.equal(result.stdout.trim().split('\n').length, 1);
    assert.equal(result.stderr, '');
    const second = await g.ok('tenant', 'create', 'globex', '--json');
    assert.equal(second.stderr, '', 'no note once the database exists');

    const listed = await g.json<{ tenants: { slug: string; name: string }[] }>('tenant', 'list');
    assert.deepEqual(
      listed.tenants.map((t) => [t.slug, t.name]),
      [
        ['acme', 'Acme'],
        ['globex', 'globex'],
      ],
    );
  });

  it('refuses a duplicate slug: non-zero exit, clear message, nothing on stdout', async () => {
    const g = freshDatabase();
    await g.ok('tenant', 'create', 'acme', '--name', 'Acme');
    const duplicate = await g.run('tenant', 'create', 'acme', '--name', 'Other', '--json');
    assertOperatorError(duplicate, /acme.*already exists|already exists.*acme/, 4);
    const listed = await g.json<{ tenants: { slug: string; name: string }[] }>('tenant', 'list');
    assert.deepEqual(
      listed.tenants.map((t) => [t.slug, t.name]),
      [['acme', 'Acme']],
      'the first tenant is untouched',
    );
  });

  it('reads the database URL from GATEHOUSE_DATABASE_URL when --db is absent', async () => {
    const g = freshDatabase();
    await g.ok('migrate');
    const environment = { ...process.env };
    await cliOk(['tenant', 'create', 'envco'], { env: { GATEHOUSE_DATABASE_URL: g.db } });
    assert.deepEqual({ ...process.env }, environment, 'the command read its own environment, not (a changed) process.env');
    const listed = await g.json<{ tenants: { slug: string }[] }>('tenant', 'list');
    assert.deepEqual(
      listed.tenants.map((t) => t.slug),
      ['envco'],
    );
  });
});

describe('gatehouse client create', () => {
  const g = freshDatabase();
  before(async () => {
    await g.ok('tenant', 'create', 'acme', '--name', 'Acme');
  });

  it('prints one JSON object with the client id, a 256-bit prefixed secret, the tenant and the TTL in seconds', async () => {
    const result = await g.ok(
      'client', 'create', '--tenant', 'acme', '--name', 'X',
      '--scope', 'documents:read documents:write', '--default-scope', 'documents:read',
      '--access-token-ttl', '12h', '--json',
    );
    const client = JSON.parse(result.stdout) as ClientJson;
    assert.equal(typeof client.client_id, 'string');
    assert.ok(client.client_id.length > 0);
    assert.equal(client.tenant, 'acme');
    assert.equal(client.name, 'X');
    assert.equal(client.access_token_ttl, 43_200);
    assert.equal(client.public, false);
    assert.deepEqual(client.grant_types, ['client_credentials']);
    assert.deepEqual(client.scope.split(' ').sort(), ['documents:read', 'documents:write']);
    assert.equal(client.default_scope, 'documents:read');
    assert.equal(client.disabled, false);

    const match = SECRET.exec(client.client_secret ?? '');
    assert.ok(match, `secret ${client.client_secret} has the gatehouse_secret_ prefix and 43 base64url characters`);
    assert.equal(Buffer.from(match[1]!, 'base64url').length, 32, '256 bits of randomness after the prefix');

    const second = await g.json<ClientJson>('client', 'create', '--tenant', 'acme', '--name', 'Y');
    assert.notEqual(second.client_secret, client.client_secret);
    assert.notEqual(second.client_id, client.client_id);
  });

  it('--public creates a client without a secret', async () => {
    const client = await g.json<ClientJson>(
      'client', 'create', '--tenant', 'acme', '--name', 'SPA', '--public',
      '--grant-type', 'authorization_code', '--redirect-uri', 'https://app.example.com/callback',
    );
    assert.equal(client.public, true);
    assert.ok(!('client_secret' in client), 'a public client has no client_secret key');
    assert.deepEqual(client.grant_types, ['authorization_code']);
  });

  it('accepts repeated --grant-type and --redirect-uri', async () => {
    const client = await g.json<ClientJson>(
      'client', 'create', '--tenant', 'acme', '--name', 'Web app',
      '--grant-type', 'client_credentials', '--grant-type', 'authorization_code', '--grant-type', 'refresh_token',
      '--redirect-uri', 'https://app.example.com/callback', '--redirect-uri', 'http://127.0.0.1:9999/callback',
    );
    assert.deepEqual(client.grant_types, ['client_credentials', 'authorization_code', 'refresh_token']);
    assert.deepEqual(client.redirect_uris, ['https://app.example.com/callback', 'http://127.0.0.1:9999/callback']);
    assert.match(client.client_secret ?? '', SECRET);
  });

  it('takes the refresh token lifetimes and grace window as durations, with defaults of 30d, 1y and none', async () => {
    const defaults = await g.json<ClientJson>('client', 'create', '--tenant', 'acme', '--name', 'Defaults', '--grant-type', 'authorization_code', '--grant-type', 'refresh_token');
    assert.deepEqual([defaults.refresh_idle_ttl, defaults.refresh_absolute_ttl, defaults.refresh_grace], [2_592_000, 31_536_000, 0]);
    const custom = await g.json<ClientJson>(
      'client', 'create', '--tenant', 'acme', '--name', 'Custom', '--grant-type', 'authorization_code', '--grant-type', 'refresh_token',
      '--refresh-idle-ttl', '12h', '--refresh-absolute-ttl', '5y', '--refresh-grace', '30s',
    );
    assert.deepEqual([custom.refresh_idle_ttl, custom.refresh_absolute_ttl, custom.refresh_grace], [43_200, 5 * 31_536_000, 30]);
  });

  it('client list never shows a secret', async () => {
    const created = await g.json<ClientJson>('client', 'create', '--tenant', 'acme', '--name', 'Listed');
    const result = await g.ok('client', 'list', '--tenant', 'acme', '--json');
    const listed = JSON.parse(result.stdout) as { clients: ClientJson[] };
    assert.ok(listed.clients.some((c) => c.client_id === created.client_id));
    for (const c of listed.clients) assert.ok(!('client_secret' in c));
    assert.ok(!result.stdout.includes(created.client_secret!));
    assert.doesNotMatch(result.stdout, /gatehouse_secret_/);
  });

  const errors: [string, string[], RegExp, (1 | 3)?][] = [
    ['an unknown tenant', ['--tenant', 'nope', '--name', 'X'], /unknown tenant "nope"/, 3],
    ['a bad duration', ['--tenant', 'acme', '--name', 'X', '--access-token-ttl', '12x'], /invalid duration "12x"/],
    [
      'a default scope outside --scope',
      ['--tenant', 'acme', '--name', 'X', '--scope', 'documents:read', '--default-scope', 'documents:write'],
      /default scope "documents:write" is not among the client's scopes/,
    ],
    ['a public client with client_credentials', ['--tenant', 'acme', '--name', 'X', '--public', '--grant-type', 'client_credentials'], /public client cannot use client_credentials/],
    ['an unknown grant type', ['--tenant', 'acme', '--name', 'X', '--grant-type', 'password'], /unknown grant type "password"/],
    ['a refresh idle lifetime beyond the absolute one', ['--tenant', 'acme', '--name', 'X', '--refresh-idle-ttl', '2y', '--refresh-absolute-ttl', '1y'], /refresh idle lifetime \(2y\) exceeds the refresh absolute lifetime \(1y\)/],
    ['a refresh lifetime under a minute', ['--tenant', 'acme', '--name', 'X', '--refresh-idle-ttl', '30s'], /refresh idle lifetime must be .* at least 1m/],
    ['a long refresh grace window', ['--tenant', 'acme', '--name', 'X', '--refresh-grace', '1h'], /refresh grace window must be 0 to 5m/],
  ];
  for (const [what, args, message, code] of errors) {
    it(`refuses ${what}: non-zero exit, clear stderr, no client created`, async () => {
      const before = await g.json<{ clients: ClientJson[] }>('client', 'list', '--tenant', 'acme');
      assertOperatorError(await g.run('client', 'create', ...args, '--json'), message, code);
      const afterwards = await g.json<{ clients: ClientJson[] }>('client', 'list', '--tenant', 'acme');
      assert.equal(afterwards.clients.length, before.clients.length);
    });
  }
});

describe('client secrets at rest', () => {
  it('stores only a digest: the secret appears nowhere in the database files; the master key file is 0600', async () => {
    const g = freshDatabase();
    await g.ok('tenant', 'create', 'acme');
    const client = await g.json<ClientJson>('client', 'create', '--tenant', 'acme', '--name', 'X', '--scope', 'documents:read');
    const secret = client.client_secret!;
    const random = SECRET.exec(secret)![1]!;

    const sqlite = new Database(join(g.dir, 'g.db'), { readonly: true });
    try {
      const row = sqlite.prepare('select * from clients where id = ?').get(client.client_id) as Record<string, unknown> | undefined;
      assert.ok(row, 'the client row is in the database file the CLI was given');
      const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      for (const { name } of tables) {
        const rows = sqlite.prepare(`select * from "${name}"`).all() as Record<string, unknown>[];
        for (const stored of rows) {
          for (const value of Object.values(stored)) {
            if (typeof value === 'string') assert.ok(!value.includes(random), `table ${name} holds the secret`);
          }
        }
      }
    } finally {
      sqlite.close();
    }

    const files = readdirSync(g.dir).filter((name) => name.startsWith('g.db'));
    assert.ok(files.includes('g.db'));
    let sawClientId = false;
    for (const name of files) {
      const bytes = readFileSync(join(g.dir, name));
      if (bytes.includes(client.client_id)) sawClientId = true;
      assert.equal(bytes.indexOf(secret), -1, `${name} contains the client secret`);
      assert.equal(bytes.indexOf(random), -1, `${name} contains the random part of the client secret`);
    }
    assert.ok(sawClientId, 'the client id is stored in these files (so the search above looked at the right bytes)');

    const masterKey = join(g.dir, 'master.key');
    assert.equal(statSync(masterKey).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(masterKey, 'utf8').trim(), 'base64').length, 32);
  });
});

describe('gatehouse client rotate-secret / disable', () => {
  const g = freshDatabase();
  let client: ClientJson;
  before(async () => {
    await g.ok('tenant', 'create', 'acme');
    client = await g.json<ClientJson>('client', 'create', '--tenant', 'acme', '--name', 'X');
  });

  it('rotate-secret --json prints a new secret; without --grace the old one stops at once', async () => {
    const rotated = await g.json<{ client_id: string; client_secret: string; tenant: string; previous_secret_expires_at: string | null }>(
      'client', 'rotate-secret', client.client_id,
    );
    assert.equal(rotated.client_id, client.client_id);
    assert.equal(rotated.tenant, 'acme');
    assert.match(rotated.client_secret, SECRET);
    assert.notEqual(rotated.client_secret, client.client_secret);
    assert.equal(rotated.previous_secret_expires_at, null);
  });

  it('rotate-secret --grace 24h says the previous secret works for about 24 hours more', async () => {
    const started = Date.now();
    const rotated = await g.json<{ client_secret: string; previous_secret_expires_at: string | null }>(
      'client', 'rotate-secret', client.client_id, '--grace', '24h',
    );
    const finished = Date.now();
    assert.match(rotated.client_secret, SECRET);
    assert.ok(rotated.previous_secret_expires_at !== null);
    const until = Date.parse(rotated.previous_secret_expires_at);
    const day = 24 * 3600 * 1000;
    assert.ok(until >= started + day - 1000 && until <= finished + day + 1000, `previous_secret_expires_at ${rotated.previous_secret_expires_at} is 24h ahead`);
  });

  it('rotate-secret without --json shows the secret once, with a warning about the old one', async () => {
    const result = await g.ok('client', 'rotate-secret', client.client_id);
    assert.match(result.stdout, /client_secret: gatehouse_secret_[A-Za-z0-9_-]{43}\n/);
    assert.match(result.stdout, /old secret no longer works/);
  });

  it('disable exits 0 and the client is listed as disabled', async () => {
    const result = await g.run('client', 'disable', client.client_id);
    assert.equal(result.code, 0, result.stderr);
    const listed = await g.json<{ clients: ClientJson[] }>('client', 'list', '--tenant', 'acme');
    assert.equal(listed.clients.find((c) => c.client_id === client.client_id)?.disabled, true);
  });

  it('refuses an unknown client id with a clear message', async () => {
    assertOperatorError(await g.run('client', 'rotate-secret', 'no-such-client', '--json'), /no client with id "no-such-client"/, 3);
    assertOperatorError(await g.run('client', 'disable', 'no-such-client'), /no client with id "no-such-client"/, 3);
  });

  it('refuses a bad --grace duration', async () => {
    assertOperatorError(await g.run('client', 'rotate-secret', client.client_id, '--grace', 'soon'), /invalid duration "soon"/);
  });
});

describe('gatehouse keys', () => {
  const g = freshDatabase();

  it('keys rotate --alg RS256 prints {kid, alg}; keys list shows both keys, exactly one active', async () => {
    const first = await g.json<{ kid: string; alg: string }>('keys', 'rotate');
    assert.equal(first.alg, 'ES256', 'ES256 is the default');
    const rsa = await g.json<{ kid: string; alg: string }>('keys', 'rotate', '--alg', 'RS256');
    assert.deepEqual(Object.keys(rsa).sort(), ['alg', 'kid']);
    assert.equal(rsa.alg, 'RS256');
    assert.equal(typeof rsa.kid, 'string');
    assert.notEqual(rsa.kid, first.kid);

    const { keys } = await g.json<{ keys: { kid: string; alg: string; active: boolean; published_until: string | null }[] }>('keys', 'list');
    assert.deepEqual(keys.map((k) => k.kid).sort(), [first.kid, rsa.kid].sort());
    const active = keys.filter((k) => k.active);
    assert.equal(active.length, 1);
    assert.equal(active[0]!.kid, rsa.kid);
    assert.equal(active[0]!.alg, 'RS256');
    const retired = keys.find((k) => k.kid === first.kid)!;
    assert.ok(retired.published_until !== null && Date.parse(retired.published_until) > Date.now(), 'the retired key stays published for a while');
  });

  it('keys rotate --alg HS256 is refused', async () => {
    assertOperatorError(await g.run('keys', 'rotate', '--alg', 'HS256', '--json'), /unsupported algorithm "HS256"/);
  });
});

describe('gatehouse migrate', () => {
  it('applies the migrations on a fresh database and names them; a second run says it is up to date', async () => {
    const g = freshDatabase({ migrated: false });
    const first = await g.ok('migrate');
    assert.match(first.stdout, /^applied migrations: \S+/);
    const names = first.stdout.trim().replace(/^applied migrations: /, '').split(', ');
    assert.ok(names.length >= 1);
    for (const name of names) assert.match(name, /^\d{4}-\d{2}-\d{2}T[\w-]+$/);

    const second = await g.ok('migrate');
    assert.match(second.stdout, /up to date/);
    assert.doesNotMatch(second.stdout, /applied migrations/);

    await g.ok('tenant', 'create', 'after-migrate');
  });

  it('refuses an unsupported database URL with a clear message', async () => {
    const dir = freshDir();
    assertOperatorError(await runCli(['migrate', '--db', 'mysql://localhost/gatehouse'], { env: { GATEHOUSE_DATA_DIR: dir } }), /unsupported database URL/);
  });
});

describe('commands run in-process', () => {
  it('close their database, also when they fail: SQLite removes the write-ahead log only when its last connection closes', async () => {
    const g = freshDatabase();
    const wal = join(g.dir, 'g.db-wal');
    await g.ok('tenant', 'create', 'acme');
    assert.equal(existsSync(join(g.dir, 'g.db')), true);
    assert.equal(existsSync(wal), false, 'tenant create left the database open');
    assert.equal((await g.run('tenant', 'create', 'acme')).code, 4);
    assert.equal(existsSync(wal), false, 'a refused tenant create left the database open');
    assert.equal((await g.run('client', 'rotate-secret', 'no-such-client')).code, 3);
    assert.equal(existsSync(wal), false, 'a refused rotate-secret left the database open');
    await g.ok('migrate');
    assert.equal(existsSync(wal), false, 'migrate left the database open');
  });
});
