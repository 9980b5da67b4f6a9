import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { configFromEnv, loadConfig, type Config, type ConfigInput } from '../core/config.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../core/errors.js';
import type { Client, Tenant } from '../core/types.js';
import type { ScopeDefinition, User } from '../core/types.js';
import { isSigningAlgorithm } from '../core/types.js';
import { openGatehouse, type Gatehouse } from '../server/context.js';
import { startServer } from '../server/serve.js';
import { parseDatabaseUrl } from '../store/sql/index.js';

/** Output sink, so tests (and embedding) can capture what a command prints. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input, for --password-stdin (default: the process's). */
  input?(): Promise<string>;
}

const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function configFor(options: { db?: string }, overrides: ConfigInput = {}): Config {
  return loadConfig({ ...configFromEnv(process.env), ...(options.db ? { databaseUrl: options.db } : {}), ...overrides });
}

/**
 * Opens the database for one command. An empty database is set up; one in use is never
 * migrated behind the servers' back. Creating a new SQLite file is said on stderr, so
 * an operator in the wrong directory notices at once.
 */
async function withGatehouse<T>(options: { db?: string }, action: (gatehouse: Gatehouse) => Promise<T>, io: Io): Promise<T> {
  const config = configFor(options);
  const target = parseDatabaseUrl(config.databaseUrl);
  const fresh = target.dialect === 'sqlite' && !existsSync(target.path);
  const gatehouse = await openGatehouse(config, { migrate: 'if-fresh' });
  if (fresh) io.err(`note: no database existed at ${resolve(target.path)}; created a new one (master key: ${resolve(gatehouse.masterKey.file)})`);
  try {
    return await action(gatehouse);
  } finally {
    await gatehouse.close();
  }
}

function tenantJson(tenant: Tenant) {
  return { slug: tenant.slug, name: tenant.name, access_token_ttl: tenant.accessTokenTtl, created_at: new Date(tenant.createdAt).toISOString() };
}

function clientJson(client: Client) {
  return {
    client_id: client.id,
    tenant: client.tenantSlug,
    name: client.name,
    public: client.isPublic,
    resource_server: client.resourceServer,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    default_scope: client.defaultScopes.join(' '),
    redirect_uris: client.redirectUris,
    access_token_ttl: client.accessTokenTtl,
    refresh_idle_ttl: client.refreshIdleTtl,
    refresh_absolute_ttl: client.refreshAbsoluteTtl,
    refresh_grace: client.refreshGraceSeconds,
    disabled: client.disabled,
    created_at: new Date(client.createdAt).toISOString(),
  };
}

// --- Users and scopes (issue 4) ---

function userJson(user: User) {
  return { username: user.username, tenants: user.tenants.map((tenant) => tenant.slug), disabled: user.disabled, created_at: new Date(user.createdAt).toISOString() };
}

function scopeJson(scope: ScopeDefinition) {
  return { name: scope.name, description: scope.description };
}

/** A password is far shorter; a bigger input is a mistake (a file piped by accident). */
const MAX_PASSWORD_INPUT_BYTES = 8192;

async function readProcessStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValidationError('--password-stdin reads the password from a pipe or a file, not from a terminal: e.g. printf \'%s\\n\' "$PASSWORD" | gatehouse user create …');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > MAX_PASSWORD_INPUT_BYTES) throw new ValidationError(`standard input is too long for a password (over ${MAX_PASSWORD_INPUT_BYTES} bytes)`);
    chunks.push(bytes);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ValidationError('the password on standard input is not valid UTF-8');
  }
}

/**
 * The password of --password-stdin: one line, its trailing newline stripped. Never
 * taken from the command line, where `ps` and the shell history would show it; error
 * messages never repeat it.
 */
async function readPassword(options: { passwordStdin?: boolean }, io: Io): Promise<string> {
  if (!options.passwordStdin) {
    throw new ValidationError('give the password on standard input with --password-stdin (never on the command line, where other users and the shell history can see it)');
  }
  const text = await (io.input ?? readProcessStdin)();
  const line = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (/[\r\n]/.test(line)) throw new ValidationError('--password-stdin reads one line, but standard input holds several');
  return line;
}

// --- end of users and scopes ---

const dbOption = () => new Option('--db <url>', 'database URL (sqlite:<path> or postgres://…); env GATEHOUSE_DATABASE_URL');

function durationOption(flag: string, description: string) {
  return new Option(flag, description).argParser((value: string) => parseDuration(value));
}

export function buildCli(io: Io = processIo): Command {
  const open = <T>(options: { db?: string }, action: (gatehouse: Gatehouse) => Promise<T>) => withGatehouse(options, action, io);
  const program = new Command('gatehouse')
    .description('Gatehouse: OAuth 2.0 authorization server for document APIs')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  program
    .command('serve')
    .description('start the authorization server (creates and migrates the database on first start)')
    .option('--port <n>', 'TCP port; env GATEHOUSE_PORT (default 8080)')
    .option('--host <host>', 'listen address; env GATEHOUSE_HOST (default 127.0.0.1)')
    .option('--issuer <url>', 'issuer URL; env GATEHOUSE_ISSUER (default http://<host>:<port>)')
    .addOption(dbOption())
    .action(async (options: { port?: string; host?: string; issuer?: string; db?: string }) => {
      if (options.port !== undefined && !/^\d+$/.test(options.port)) throw new ValidationError(`invalid --port "${options.port}"`);
      const config = configFor(options, {
        ...(options.port !== undefined ? { port: Number(options.port) } : {}),
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      });
      const server = await startServer(config);
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise<void>(() => {});
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .addOption(dbOption())
    .action(async (options: { db?: string }) => {
      const config = configFor(options);
      const gatehouse = await openGatehouse(config, { migrate: 'always' });
      try {
        const applied = gatehouse.migrationsApplied;
        io.out(applied.length === 0 ? 'database schema is up to date' : `applied migrations: ${applied.join(', ')}`);
      } finally {
        await gatehouse.close();
      }
    });

  const tenant = program.command('tenant').description('manage tenants');
  tenant
    .command('create <slug>')
    .description('create a tenant (a workspace whose clients, users and documents are kept apart)')
    .option('--name <text>', 'display name (default: the slug)')
    .addOption(durationOption('--access-token-ttl <duration>', 'access token lifetime for its clients, e.g. 12h (default 1h)'))
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (slug: string, options: { name?: string; accessTokenTtl?: number; json?: boolean; db?: string }) => {
      const created = await open(options, (g) => g.admin.createTenant({ slug, name: options.name, accessTokenTtl: options.accessTokenTtl ?? null }));
      io.out(options.json ? JSON.stringify(tenantJson(created)) : `created tenant ${created.slug} (${created.name})`);
    });
  tenant
    .command('list')
    .description('list tenants')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { json?: boolean; db?: string }) => {
      const tenants = await open(options, (g) => g.admin.listTenants());
      if (options.json) io.out(JSON.stringify({ tenants: tenants.map(tenantJson) }));
      else io.out(tenants.length === 0 ? 'no tenants yet (gatehouse tenant create <slug>)' : tenants.map((t) => `${t.slug}\t${t.name}`).join('\n'));
    });

  const client = program.command('client').description('manage API clients');
  client
    .command('create')
    .description('register a client; the secret is shown once')
    .requiredOption('--tenant <slug>', 'tenant the client belongs to')
    .requiredOption('--name <text>', 'display name')
    .option('--grant-type <type>', 'allowed grant type, repeatable (default client_credentials)', collect)
    .option('--scope <scopes>', 'space-delimited scopes the client may request')
    .option('--default-scope <scopes>', 'scopes granted when a request names none')
    .option('--redirect-uri <url>', 'registered redirect URI, repeatable', collect)
    .option('--public', 'a public client (no secret)')
    .option('--resource-server', 'a resource server of the API provider: may read the revocation feed and introspect every tenant')
    .addOption(durationOption('--access-token-ttl <duration>', 'access token lifetime, e.g. 12h or 3600s (default: the tenant\'s, else 1h)'))
    .addOption(durationOption('--refresh-idle-ttl <duration>', 'a refresh token unused this long expires, e.g. 14d (default 30d)'))
    .addOption(durationOption('--refresh-absolute-ttl <duration>', 'no refresh token is honoured this long after the user\'s authorization, e.g. 90d (default 1y)'))
    .addOption(durationOption('--refresh-grace <duration>', 'a rotated refresh token presented again this soon is taken for a lost response, at most 5m (default: none)'))
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(
      async (options: {
        tenant: string;
        name: string;
        grantType?: string[];
        scope?: string;
        defaultScope?: string;
        redirectUri?: string[];
        public?: boolean;
        resourceServer?: boolean;
        accessTokenTtl?: number;
        refreshIdleTtl?: number;
        refreshAbsoluteTtl?: number;
        refreshGrace?: number;
        json?: boolean;
        db?: string;
      }) => {
        const { client: created, secret } = await open(options, (g) =>
          g.admin.createClient({
            tenant: options.tenant,
            name: options.name,
            grantTypes: options.grantType,
            scope: options.scope,
            defaultScope: options.defaultScope,
            redirectUris: options.redirectUri,
            isPublic: options.public ?? false,
            resourceServer: options.resourceServer ?? false,
            accessTokenTtl: options.accessTokenTtl ?? null,
            refreshIdleTtl: options.refreshIdleTtl ?? null,
            refreshAbsoluteTtl: options.refreshAbsoluteTtl ?? null,
            refreshGraceSeconds: options.refreshGrace ?? null,
          }),
        );
        if (options.json) {
          io.out(JSON.stringify({ ...clientJson(created), ...(secret !== undefined ? { client_secret: secret } : {}) }));
          return;
        }
        io.out(`created client "${created.name}" in tenant ${created.tenantSlug}`);
        io.out(`  client_id:     ${created.id}`);
        if (secret !== undefined) {
          io.out(`  client_secret: ${secret}`);
          io.out('store the secret now: it is shown only once (only a digest is kept)');
        }
      },
    );
  client
    .command('list')
    .description("list a tenant's clients")
    .requiredOption('--tenant <slug>', 'tenant')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { tenant: string; json?: boolean; db?: string }) => {
      const clients = await open(options, (g) => g.admin.listClients(options.tenant));
      if (options.json) io.out(JSON.stringify({ clients: clients.map(clientJson) }));
      else io.out(clients.length === 0 ? 'no clients' : clients.map((c) => `${c.id}\t${c.name}${c.disabled ? '\t(disabled)' : ''}`).join('\n'));
    });
  client
    .command('rotate-secret <client_id>')
    .description('issue a new secret; without --grace the old one stops at once and its tokens are revoked')
    .addOption(durationOption('--grace <duration>', 'keep the old secret working this long (e.g. 24h); tokens stay valid'))
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (clientId: string, options: { grace?: number; json?: boolean; db?: string }) => {
      const rotated = await open(options, (g) => g.admin.rotateClientSecret(clientId, { graceSeconds: options.grace ?? 0 }));
      const until = rotated.previousSecretExpiresAt === null ? null : new Date(rotated.previousSecretExpiresAt).toISOString();
      if (options.json) {
        io.out(JSON.stringify({ client_id: rotated.client.id, client_secret: rotated.secret, tenant: rotated.client.tenantSlug, previous_secret_expires_at: until }));
        return;
      }
      io.out(`new secret for client ${rotated.client.id}:`);
      io.out(`  client_secret: ${rotated.secret}`);
      io.out(until === null ? 'the old secret no longer works and every token issued with it is revoked' : `the old secret keeps working until ${until} (${formatDuration(options.grace ?? 0)})`);
    });
  client
    .command('show <client_id>')
    .description('show a client (never its secret)')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (clientId: string, options: { json?: boolean; db?: string }) => {
      const found = await open(options, (g) => g.admin.showClient(clientId));
      const json = clientJson(found);
      io.out(options.json ? JSON.stringify(json) : Object.entries(json).map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(' ') : String(value)}`).join('\n'));
    });
  client
    .command('disable <client_id>')
    .description('disable a client: it can no longer get tokens and its tokens are revoked')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (clientId: string, options: { json?: boolean; db?: string }) => {
      const disabled = await open(options, (g) => g.admin.disableClient(clientId));
      io.out(options.json ? JSON.stringify(clientJson(disabled)) : `client ${disabled.id} disabled; its tokens are revoked`);
    });
  client
    .command('enable <client_id>')
    .description('re-enable a disabled client (tokens revoked by disabling stay revoked)')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (clientId: string, options: { json?: boolean; db?: string }) => {
      const enabled = await open(options, (g) => g.admin.enableClient(clientId));
      io.out(options.json ? JSON.stringify(clientJson(enabled)) : `client ${enabled.id} enabled`);
    });

  // --- Users and scopes (issue 4) ---
  const user = program.command('user').description('manage the users who log in (to grant applications access)');
  user
    .command('create')
    .description('create a user in a tenant; the password is read from standard input')
    .requiredOption('--tenant <slug>', 'tenant the user belongs to (add more with user add-tenant)')
    .requiredOption('--username <name>', '1-64 letters, digits and . _ @ + - (unique, compared ignoring case)')
    .option('--password-stdin', 'read the password (one line, at least 10 characters) from standard input')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { tenant: string; username: string; passwordStdin?: boolean; json?: boolean; db?: string }) => {
      const password = await readPassword(options, io);
      const created = await open(options, (g) => g.admin.createUser({ tenant: options.tenant, username: options.username, password }));
      io.out(options.json ? JSON.stringify(userJson(created)) : `created user ${created.username} in tenant ${options.tenant}`);
    });
  user
    .command('add-tenant <username> <slug>')
    .description('let a user also act in another tenant (does nothing if it already belongs to it)')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (username: string, slug: string, options: { json?: boolean; db?: string }) => {
      const { user: updated, added } = await open(options, (g) => g.admin.addUserToTenant(username, slug));
      if (options.json) io.out(JSON.stringify(userJson(updated)));
      else io.out(added ? `user ${updated.username} now belongs to tenant ${slug}` : `user ${updated.username} already belongs to tenant ${slug}`);
    });
  user
    .command('list')
    .description("list a tenant's users")
    .requiredOption('--tenant <slug>', 'tenant')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { tenant: string; json?: boolean; db?: string }) => {
      const users = await open(options, (g) => g.admin.listUsers(options.tenant));
      if (options.json) io.out(JSON.stringify({ users: users.map(userJson) }));
      else io.out(users.length === 0 ? 'no users' : users.map((u) => `${u.username}\t${u.tenants.map((t) => t.slug).join(',')}${u.disabled ? '\t(disabled)' : ''}`).join('\n'));
    });
  user
    .command('set-password <username>')
    .description("replace a user's password, read from standard input")
    .option('--password-stdin', 'read the password (one line, at least 10 characters) from standard input')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (username: string, options: { passwordStdin?: boolean; json?: boolean; db?: string }) => {
      const password = await readPassword(options, io);
      const updated = await open(options, (g) => g.admin.setUserPassword(username, password));
      io.out(options.json ? JSON.stringify(userJson(updated)) : `password of user ${updated.username} changed`);
    });
  user
    .command('disable <username>')
    .description('disable a user: it can no longer log in')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (username: string, options: { json?: boolean; db?: string }) => {
      const disabled = await open(options, (g) => g.admin.disableUser(username));
      io.out(options.json ? JSON.stringify(userJson(disabled)) : `user ${disabled.username} disabled: it can no longer log in`);
    });
  user
    .command('enable <username>')
    .description('re-enable a disabled user')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (username: string, options: { json?: boolean; db?: string }) => {
      const enabled = await open(options, (g) => g.admin.enableUser(username));
      io.out(options.json ? JSON.stringify(userJson(enabled)) : `user ${enabled.username} enabled`);
    });

  const scope = program.command('scope').description("manage a tenant's scopes and the descriptions the consent page shows");
  scope
    .command('create <name>')
    .description("add a scope to a tenant's catalogue, or change its description")
    .requiredOption('--tenant <slug>', 'tenant')
    .requiredOption('--description <text>', 'what the scope lets an application do, as the consent page shows it')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (name: string, options: { tenant: string; description: string; json?: boolean; db?: string }) => {
      const created = await open(options, (g) => g.admin.createScope({ tenant: options.tenant, name, description: options.description }));
      io.out(options.json ? JSON.stringify({ tenant: options.tenant, ...scopeJson(created) }) : `scope ${created.name} of tenant ${options.tenant}: ${created.description}`);
    });
  scope
    .command('list')
    .description("list a tenant's scopes with their descriptions")
    .requiredOption('--tenant <slug>', 'tenant')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { tenant: string; json?: boolean; db?: string }) => {
      const scopes = await open(options, (g) => g.admin.listScopes(options.tenant));
      if (options.json) io.out(JSON.stringify({ scopes: scopes.map(scopeJson) }));
      else io.out(scopes.length === 0 ? 'no scopes' : scopes.map((s) => `${s.name}\t${s.description || '(no description)'}`).join('\n'));
    });
  // --- end of users and scopes ---

  const keys = program.command('keys').description('manage token signing keys');
  keys
    .command('rotate')
    .description('make a new signing key active at once; old keys stay published until their tokens expire')
    .option('--alg <alg>', 'ES256 or RS256 (default: the active key\'s algorithm, else GATEHOUSE_SIGNING_ALG)')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { alg?: string; json?: boolean; db?: string }) => {
      const alg = options.alg?.toUpperCase();
      if (alg !== undefined && !isSigningAlgorithm(alg)) throw new ValidationError(`unsupported algorithm "${options.alg}": use ES256 or RS256`);
      const key = await open(options, (g) => g.admin.rotateSigningKey(alg));
      io.out(options.json ? JSON.stringify({ kid: key.kid, alg: key.alg }) : `new active signing key ${key.kid} (${key.alg}); running servers switch to it within a second`);
    });
  keys
    .command('list')
    .description('list published signing keys')
    .option('--json', 'print one JSON object')
    .addOption(dbOption())
    .action(async (options: { json?: boolean; db?: string }) => {
      const list = await open(options, (g) => g.admin.listPublishedKeys());
      const rows = list.map((k) => ({
        kid: k.kid,
        alg: k.alg,
        active: k.active,
        created_at: new Date(k.createdAt).toISOString(),
        published_until: k.publishedUntil === null ? null : new Date(k.publishedUntil).toISOString(),
      }));
      if (options.json) io.out(JSON.stringify({ keys: rows }));
      else io.out(rows.map((r) => `${r.kid}\t${r.alg}\t${r.active ? 'active' : `retired, published until ${r.published_until}`}`).join('\n'));
    });
  keys
    .command('withdraw <kid>')
    .description('remove a retired (e.g. compromised) key from the JWKS at once; tokens it signed stop verifying')
    .addOption(dbOption())
    .action(async (kid: string, options: { db?: string }) => {
      await open(options, (g) => g.admin.withdrawSigningKey(kid));
      io.out(`key ${kid} withdrawn: running servers stop publishing and accepting it within a second`);
    });

  return program;
}

/** Runs the CLI; resolves to the exit code. Operator errors print one line on stderr. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ValidationError || error instanceof NotFoundError || error instanceof ConflictError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof StorageUnavailableError) {
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      io.err(`error: the database is unavailable (${cause})`);
      return 1;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
