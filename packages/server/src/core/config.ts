import { isIP } from 'node:net';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkAccent, checkBrandUrl } from './branding.js';
import { ValidationError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { adminAudience } from './scope.js';

/**
 * Every setting of the server, with its default, its environment variable and its
 * documentation, in one schema. The configuration is validated against it at boot and
 * frozen; docs/configuration.md is generated from it (`npm run docs:config`).
 */
const setting = <T extends TSchema>(schema: T, env: string | null, description: string): T =>
  ({ ...schema, description, ...(env ? { env } : {}) }) as T;

export const configSchema = Type.Object({
  host: setting(Type.String({ minLength: 1, default: '127.0.0.1' }), 'GATEHOUSE_HOST', 'Address the HTTP server listens on.'),
  port: setting(Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }), 'GATEHOUSE_PORT', 'TCP port the HTTP server listens on (0 picks a free port).'),
  issuer: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_ISSUER',
    'Issuer identifier (RFC 8414 §2): the https URL clients reach the server at, without query or fragment. Defaults to `http://<host>:<port>`.',
  ),
  databaseUrl: setting(
    Type.String({ minLength: 1, default: 'sqlite:./data/gatehouse.db' }),
    'GATEHOUSE_DATABASE_URL',
    'Storage: `sqlite:<path>` (embedded, the default) or `postgres://user@host:port/db` (several servers may share it).',
  ),
  databasePoolSize: setting(
    Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    'GATEHOUSE_DATABASE_POOL_SIZE',
    'PostgreSQL only: the most connections one process (a server, or a CLI command) opens; a request waits up to 5 s for a free one, then gets a 503. Keep pool size × processes below the server\'s `max_connections` (docs/performance.md, "PostgreSQL connections"). Ignored for SQLite.',
  ),
  redisUrl: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_REDIS_URL',
    'Optional `redis://host:port`: shares throttling counters between the server processes of a cluster. Without it each process counts on its own (N processes behind a load balancer allow up to N times the limits). While Redis is unreachable each process counts on its own again, in memory, and uses the shared counters again once Redis answers (the outage is logged at most every 10 s; `/healthz` reports it).',
  ),
  dataDir: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_DATA_DIR',
    'Directory for the master key file (and the SQLite database by default). Defaults to the SQLite file\'s directory, else `./data`.',
  ),
  masterKeyFile: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_MASTER_KEY_FILE',
    'File holding the 256-bit master key that seals signing keys and keys client-secret digests; created with mode 0600 on first start. Defaults to `<dataDir>/master.key`. Every server and CLI sharing a database must use the same key.',
  ),
  audience: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_AUDIENCE',
    'The `aud` claim of access tokens: the identifier of the protected API. Defaults to `<issuer>/api`. Admin API tokens (scope `gatehouse:admin`) carry `<issuer>/admin/api` instead, which this setting may not take.',
  ),
  accessTokenTtl: setting(
    Type.Integer({ minimum: 1, default: 3600 }),
    'GATEHOUSE_ACCESS_TOKEN_TTL',
    'Access token lifetime in seconds when neither the client nor its tenant sets one. Accepts durations such as `1h`.',
  ),
  maxAccessTokenTtl: setting(
    Type.Integer({ minimum: 60, default: 86_400 }),
    'GATEHOUSE_MAX_ACCESS_TOKEN_TTL',
    'The longest access token lifetime any client or tenant may configure (seconds or a duration; default 24h). A retired signing key stays in the JWKS this long (plus 5 minutes of clock skew), so every token it signed can still be verified.',
  ),
  authorizationCodeTtl: setting(
    Type.Integer({ minimum: 1, maximum: 600, default: 60 }),
    'GATEHOUSE_AUTHORIZATION_CODE_TTL',
    'Lifetime of an authorization code in seconds or a duration (default 60s, at most 10m: RFC 6749 §4.1.2). A code is single use whatever its lifetime.',
  ),
  signingAlgorithm: setting(
    Type.Union([Type.Literal('ES256'), Type.Literal('RS256')], { default: 'ES256' }),
    'GATEHOUSE_SIGNING_ALG',
    'Algorithm of the signing key generated on first start (`gatehouse keys rotate --alg` changes it later).',
  ),
  keyRefreshInterval: setting(
    Type.Integer({ minimum: 50, maximum: 1000, default: 1000 }),
    null,
    'Milliseconds between checks for a rotated signing key; a rotation reaches every server process within this time.',
  ),
  discoveryMaxAge: setting(
    Type.Integer({ minimum: 0, default: 300 }),
    'GATEHOUSE_DISCOVERY_MAX_AGE',
    'Seconds that clients and resource servers may cache the JWKS and the server metadata.',
  ),
  tokenBodyLimit: setting(
    Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 16_384 }),
    null,
    'Largest accepted request body at the OAuth endpoints, in bytes; larger requests get 413 `invalid_request`.',
  ),
  headersTimeout: setting(
    Type.Integer({ minimum: 1, maximum: 300, default: 10 }),
    'GATEHOUSE_HEADERS_TIMEOUT',
    "How long (seconds or a duration) a client may take to send a request's headers, from its connection or its previous request, before it gets 408 and the connection is closed (Node's default is 60s: a slow client would hold a socket that long). At most `requestTimeout`.",
  ),
  requestTimeout: setting(
    Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
    'GATEHOUSE_REQUEST_TIMEOUT',
    "How long (seconds or a duration) a client may take to send a whole request, headers and body, before it gets 408 and the connection is closed (Node's default is 5 minutes). Raise it if large uploads to the demo document API must cross slow links.",
  ),
  keepAliveTimeout: setting(
    Type.Integer({ minimum: 1, maximum: 600, default: 72 }),
    'GATEHOUSE_KEEP_ALIVE_TIMEOUT',
    "How long (seconds or a duration) an idle keep-alive connection stays open for the client's next request (default 72s, as Fastify's; an idle connection costs little, and `maxConnections` caps them). Behind a load balancer that reuses connections, make it longer than the balancer's idle timeout (e.g. 65s behind a 60s one), or the balancer may send a request on a socket the server is closing.",
  ),
  maxConnections: setting(
    Type.Integer({ minimum: 1, maximum: 1_000_000, default: 4096 }),
    'GATEHOUSE_MAX_CONNECTIONS',
    'Most concurrent connections the public listener of one server process accepts; a connection beyond it is closed at once, unanswered. Keep it below the process\'s open-file limit (`ulimit -n`).',
  ),
  throttleWindow: setting(
    Type.Integer({ minimum: 1, default: 60 }),
    'GATEHOUSE_THROTTLE_WINDOW',
    'Seconds over which failed client authentications and failed logins are counted.',
  ),
  throttleMaxFailuresPerClient: setting(
    Type.Integer({ minimum: 1, default: 10 }),
    'GATEHOUSE_THROTTLE_MAX_FAILURES_PER_CLIENT',
    'Failed authentications for one client_id within the window before further failures for it are answered with 429 (a request with the right secret still succeeds).',
  ),
  throttleMaxFailuresPerAddress: setting(
    Type.Integer({ minimum: 1, default: 20 }),
    'GATEHOUSE_THROTTLE_MAX_FAILURES_PER_ADDRESS',
    'Failed authentications from one source address within the window before further failures from it are answered with 429 (a request with correct credentials still succeeds: behind a load balancer every client shares one address).',
  ),
  loginMaxFailuresPerUser: setting(
    Type.Integer({ minimum: 1, default: 5 }),
    'GATEHOUSE_LOGIN_MAX_FAILURES_PER_USER',
    'Failed logins for one username within `throttleWindow` before that username is locked until the window ends: further attempts, even with the right password, are refused as throttled (people choose guessable passwords; the lock is what stops guessing). Unknown usernames are counted alike, so the answer does not tell whether a user exists.',
  ),
  loginMaxFailuresPerAddress: setting(
    Type.Integer({ minimum: 1, default: 20 }),
    'GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS',
    'Failed logins from one source address within `throttleWindow` before every login attempt from it is refused as throttled until the window ends (stops one address from trying one password on many usernames). Behind a reverse proxy set `GATEHOUSE_TRUST_PROXY`, or every user shares the proxy\'s address.',
  ),
  trustProxy: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_TRUST_PROXY',
    'Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (per-address throttling behind a proxy needs it): a comma-separated list of proxy addresses and CIDR ranges (`10.0.0.0/8,127.0.0.1`; also `loopback`, `linklocal`, `uniquelocal`), or a number of hops (`1`: trust the immediate peer, whoever it is — only safe when the server is reachable solely through the proxy; prefer addresses). Empty (the default) trusts no proxy. `true` is refused: trusting every `X-Forwarded-For` lets any client forge its address.',
  ),
  auditRetention: setting(
    Type.Integer({ minimum: 86_400, default: 7_776_000 }),
    'GATEHOUSE_AUDIT_RETENTION',
    'How long audit events (admin actions and security events) are kept, in seconds or a duration (default 90d, at least 1d); `gatehouse serve` deletes older ones every 10 minutes.',
  ),
  productName: setting(
    Type.String({ minLength: 1, maxLength: 80, default: 'Gatehouse' }),
    'GATEHOUSE_PRODUCT_NAME',
    'The product name in the header of every page (login, consent, account, dashboard, landing). See docs/branding.md.',
  ),
  brandAccent: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_BRAND_ACCENT',
    'Accent colour of the pages as `#rrggbb` (primary buttons, links, focus rings); text on it and links in it are adjusted to keep 4.5:1 contrast in light and dark mode. Empty: Gatehouse blue. A tenant may set its own (`gatehouse tenant branding`).',
  ),
  brandLogo: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_BRAND_LOGO',
    'Path of the logo shown in the pages\' header instead of the product initial: a PNG, JPEG, WebP or SVG file of at most 256 KiB, read once at start.',
  ),
  termsUrl: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_TERMS_URL',
    'Link to the terms of service, in the pages\' footer: an https URL (http only for localhost). A tenant\'s own link replaces it on that tenant\'s pages.',
  ),
  privacyUrl: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_PRIVACY_URL',
    'Link to the privacy policy, in the pages\' footer: an https URL (http only for localhost). A tenant\'s own link replaces it on that tenant\'s pages.',
  ),
  templatesDir: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_TEMPLATES_DIR',
    'Directory of the operator\'s page overrides, read once at start: `custom.css` (linked after Gatehouse\'s stylesheet), `header.html` and `footer.html` (with escaped `{{placeholders}}`). Any file may be absent; a bad one stops the server with its name. See docs/branding.md.',
  ),
  userSessionIdleTtl: setting(
    Type.Integer({ minimum: 60, default: 1800 }),
    'GATEHOUSE_USER_SESSION_IDLE_TTL',
    'An end user\'s sign-in session (shared by `/oauth/authorize` and `/account`) ends after this long without use, in seconds or a duration (default 30m). Uses are recorded at most once a minute, so it may end up to a minute early.',
  ),
  userSessionMaxAge: setting(
    Type.Integer({ minimum: 60, default: 28_800 }),
    'GATEHOUSE_USER_SESSION_MAX_AGE',
    'An end user\'s sign-in session ends this long after the sign-in however it is used (seconds or a duration; default 8h); then the password is asked again. At least `userSessionIdleTtl`.',
  ),
  adminSessionIdleTtl: setting(
    Type.Integer({ minimum: 60, default: 1800 }),
    'GATEHOUSE_ADMIN_SESSION_IDLE_TTL',
    'An operator\'s or tenant admin\'s sign-in session (`/admin`, separate from the end users\' one) ends after this long without use (seconds or a duration; default 30m).',
  ),
  adminSessionMaxAge: setting(
    Type.Integer({ minimum: 60, default: 28_800 }),
    'GATEHOUSE_ADMIN_SESSION_MAX_AGE',
    'An operator\'s or tenant admin\'s sign-in session ends this long after the sign-in (seconds or a duration; default 8h). At least `adminSessionIdleTtl`.',
  ),
  managementPort: setting(
    Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    'GATEHOUSE_MANAGEMENT_PORT',
    'Port of the management listener (`/health/live`, `/health/ready`, `/metrics`), separate from the public one. Off unless set; `0` picks a free port (logged).',
  ),
  managementHost: setting(
    Type.String({ default: '' }),
    'GATEHOUSE_MANAGEMENT_HOST',
    'Address the management listener binds to. Defaults to `host`.',
  ),
  metricsClientLabels: setting(
    Type.Boolean({ default: false }),
    'GATEHOUSE_METRICS_CLIENT_LABELS',
    'Label token and authentication metrics with the client id and tenant. Off by default: every client adds series to each metric (cardinality).',
  ),
  shutdownDelay: setting(
    Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
    'GATEHOUSE_SHUTDOWN_DELAY',
    'On SIGTERM, how long (seconds or a duration) the server keeps serving with readiness 503 and `Connection: close`, so load balancers and keep-alive clients move elsewhere before it stops accepting. None on SIGINT.',
  ),
  shutdownGrace: setting(
    Type.Integer({ minimum: 1, maximum: 600, default: 10 }),
    'GATEHOUSE_SHUTDOWN_GRACE',
    'After the shutdown delay, how long (seconds or a duration) requests in flight may take to finish before the process exits anyway.',
  ),
  logLevel: setting(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
    'GATEHOUSE_LOG_LEVEL',
    'Log level (JSON lines on stdout). Logs never contain secrets, tokens or query strings.',
  ),
});

export type ConfigInput = Partial<Static<typeof configSchema>>;

/** The validated, frozen configuration with every derived default filled in. */
export type Config = Readonly<Static<typeof configSchema>>;

const INTEGER_SETTINGS_WITH_DURATIONS = new Set(['accessTokenTtl', 'maxAccessTokenTtl', 'authorizationCodeTtl', 'throttleWindow', 'discoveryMaxAge', 'auditRetention', 'userSessionIdleTtl', 'userSessionMaxAge', 'adminSessionIdleTtl', 'adminSessionMaxAge', 'shutdownDelay', 'shutdownGrace', 'headersTimeout', 'requestTimeout', 'keepAliveTimeout']);

/** Reads `GATEHOUSE_*` variables into config input (strings converted to the schema's types). */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const input: Record<string, unknown> = {};
  for (const [key, schema] of settingEntries()) {
    const raw = schema.env ? env[schema.env] : undefined;
    if (raw === undefined || raw === '' || !schema.env) continue;
    input[key] = coerce(key, raw, schema, schema.env);
  }
  return input as ConfigInput;
}

/**
 * Where each setting came from, so that an error names what the operator typed: an
 * environment variable (`GATEHOUSE_PORT`) or a command-line flag (`--port`). A setting
 * not named here is called by its key (`port`), as `loadConfig({ port })` spells it.
 */
export type ConfigSources = Partial<Record<keyof ConfigInput, string>>;

/** The environment variable of every setting `env` sets (see ConfigSources). */
export function environmentSources(env: NodeJS.ProcessEnv): ConfigSources {
  const sources: Record<string, string> = {};
  for (const [key, schema] of settingEntries()) {
    if (schema.env && env[schema.env] !== undefined && env[schema.env] !== '') sources[key] = schema.env;
  }
  return sources as ConfigSources;
}

type SettingSchema = TSchema & { env?: string };

function settingEntries(): [string, SettingSchema][] {
  return Object.entries(configSchema.properties) as [string, SettingSchema][];
}

function coerce(key: string, raw: string, schema: TSchema, variable: string): unknown {
  if (schema.type === 'integer') {
    if (INTEGER_SETTINGS_WITH_DURATIONS.has(key)) {
      // A duration is never zero, except for a setting whose minimum is 0 (GATEHOUSE_SHUTDOWN_DELAY=0: no delay).
      if (schema.minimum === 0 && /^\s*0+\s*[smhdwy]?\s*$/i.test(raw)) return 0;
      try {
        return parseDuration(raw);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ValidationError(`invalid configuration: ${variable} ${error.message.replace(/^invalid duration /, '')}`);
      }
    }
    return /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  }
  if (schema.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

/** What a setting accepts, in an operator's words ("expected an integer from 0 to 65535"). */
function describeAllowed(key: string, schema: TSchema): string {
  if (schema.type === 'integer') {
    const min = schema.minimum as number | undefined;
    const max = schema.maximum as number | undefined;
    if (INTEGER_SETTINGS_WITH_DURATIONS.has(key)) {
      const range = min !== undefined && max !== undefined ? ` from ${min}s to ${max}s` : min !== undefined ? ` of at least ${min}s` : '';
      return `expected a duration${range} (a number of seconds, or e.g. 30m, 12h)`;
    }
    const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : '';
    return `expected an integer${range}`;
  }
  const literals = ((schema.anyOf ?? []) as TSchema[]).map((member) => member.const as unknown).filter((value) => typeof value === 'string');
  if (literals.length > 0) {
    const last = literals.pop()!;
    return literals.length <= 1 ? `use ${[...literals, last].join(' or ')}` : `use one of ${literals.join(', ')} or ${last}`;
  }
  if (schema.type === 'boolean') return 'expected true or false';
  return schema.minLength ? 'expected a non-empty string' : 'expected a string';
}

function quote(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? value : String(value));
}

/**
 * Validates the input, fills defaults (including derived ones: issuer, audience, data
 * directory, master key file) and freezes the result. Throws ValidationError naming
 * every invalid setting as `sources` names it (its variable or flag), else by its key,
 * with the values it accepts.
 */
export function loadConfig(input: ConfigInput = {}, sources: ConfigSources = {}): Config {
  const name = (key: string) => (sources as Record<string, string | undefined>)[key] ?? key;
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const candidate = Value.Default(configSchema, structuredClone(defined)) as Record<string, unknown>;
  const invalid = new Set([...Value.Errors(configSchema, candidate)].map((error) => error.path.split('/')[1] ?? ''));
  const problems = [...invalid].map((key) => {
    const schema = (configSchema.properties as Record<string, TSchema>)[key];
    if (!schema) return `${key || 'config'}: invalid`;
    const value = candidate[key];
    const shown = INTEGER_SETTINGS_WITH_DURATIONS.has(key) && Number.isInteger(value) && (value as number) > 0 ? formatDuration(value as number) : value;
    return `${name(key)} ${quote(shown)}: ${describeAllowed(key, schema)}`;
  });
  const unknown = Object.keys(defined).filter((key) => !(key in configSchema.properties));
  problems.push(...unknown.map((key) => `${key}: unknown setting`));
  if (problems.length > 0) throw new ValidationError(`invalid configuration: ${problems.join('; ')}`);

  const config = candidate as Static<typeof configSchema>;
  if (!config.issuer) {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    config.issuer = `http://${host}:${config.port}`;
  }
  config.issuer = normaliseIssuer(config.issuer, name('issuer'));
  config.trustProxy = normaliseTrustProxy(config.trustProxy, name('trustProxy'));
  config.productName = config.productName.trim();
  if (config.productName === '') throw new ValidationError(`invalid configuration: ${name('productName')}: expected a non-empty name`);
  if (config.brandAccent) config.brandAccent = checkAccent(config.brandAccent, `invalid configuration: ${name('brandAccent')}`);
  if (config.termsUrl) config.termsUrl = checkBrandUrl(config.termsUrl, `invalid configuration: ${name('termsUrl')}`);
  if (config.privacyUrl) config.privacyUrl = checkBrandUrl(config.privacyUrl, `invalid configuration: ${name('privacyUrl')}`);
  if (!config.audience) config.audience = `${config.issuer}/api`;
  // The admin API's audience is its own (core/scope.ts adminAudience): a document-API token must never be one.
  if (config.audience === adminAudience(config.issuer)) {
    throw new ValidationError(`invalid configuration: ${name('audience')} "${config.audience}" is the admin API's own audience: choose another (default <issuer>/api)`);
  }
  if (config.accessTokenTtl > config.maxAccessTokenTtl) {
    throw new ValidationError(
      `invalid configuration: ${name('accessTokenTtl')} (${config.accessTokenTtl}s) exceeds ${name('maxAccessTokenTtl')} (${config.maxAccessTokenTtl}s)`,
    );
  }
  // Node refuses a headers timeout longer than the request timeout (http.createServer).
  if (config.headersTimeout > config.requestTimeout) {
    throw new ValidationError(`invalid configuration: ${name('headersTimeout')} (${config.headersTimeout}s) exceeds ${name('requestTimeout')} (${config.requestTimeout}s)`);
  }
  for (const [idle, max] of [['userSessionIdleTtl', 'userSessionMaxAge'], ['adminSessionIdleTtl', 'adminSessionMaxAge']] as const) {
    if (config[idle] > config[max]) {
      throw new ValidationError(`invalid configuration: ${name(idle)} (${config[idle]}s) exceeds ${name(max)} (${config[max]}s)`);
    }
  }
  if (!config.managementHost) config.managementHost = config.host;
  if (!config.dataDir) config.dataDir = sqliteDirectory(config.databaseUrl) ?? './data';
  if (!config.masterKeyFile) config.masterKeyFile = `${config.dataDir.replace(/\/+$/, '')}/master.key`;
  return Object.freeze(config);
}

function normaliseIssuer(issuer: string, name: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ValidationError(`invalid configuration: ${name} "${issuer}" is not an absolute URL`);
  }
  // RFC 8414 §2: the issuer is a URL using the https scheme with no query or fragment
  // (http is accepted for loopback and development).
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError(`invalid configuration: ${name} "${issuer}" must use https (or http for development)`);
  }
  if (url.search || url.hash || issuer.includes('#') || issuer.includes('?')) {
    throw new ValidationError(`invalid configuration: ${name} "${issuer}" must not contain a query or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

function sqliteDirectory(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const path = databaseUrl.slice('sqlite:'.length);
  if (path === ':memory:' || path === '') return undefined;
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
}

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One trusted-proxy entry: an IPv4/IPv6 address, optionally with a /prefix, or a named range. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Validates `trustProxy` and returns its canonical text: '' (no proxy trusted), a hop
 * count, or a comma-separated list of addresses, CIDR ranges and the named ranges
 * `loopback`, `linklocal`, `uniquelocal`.
 */
function normaliseTrustProxy(value: string, name: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  if (/^(true|yes|on|\*)$/i.test(trimmed)) {
    throw new ValidationError(
      `invalid configuration: ${name} "${trimmed}" would trust every X-Forwarded-For header, which lets any client forge its address (and escape per-address throttling); give the number of proxy hops (e.g. "1") or the proxies' addresses/CIDR ranges (e.g. "10.0.0.0/8,127.0.0.1")`,
    );
  }
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops < 1 || hops > 99) throw new ValidationError(`invalid configuration: ${name} "${trimmed}": a hop count must be between 1 and 99 (leave it empty to trust no proxy)`);
    return String(hops);
  }
  const entries = trimmed.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isProxyEntry(entry));
  if (bad.length > 0) {
    throw new ValidationError(
      `invalid configuration: ${name} "${trimmed}": ${bad.map((entry) => `"${entry}"`).join(', ')} is not an IP address or CIDR range; give a number of hops (e.g. "1"), a comma-separated list of proxy addresses/CIDR ranges (e.g. "10.0.0.0/8,127.0.0.1"), or leave it empty`,
    );
  }
  return entries.join(',');
}

/** Whether the issuer's host is a loopback address (a development setup). */
export function isLoopbackIssuer(issuer: string): boolean {
  const host = new URL(issuer).hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** GATEHOUSE_* variables that are not settings of the server but are read by others. */
const OTHER_KNOWN_VARIABLES = ['GATEHOUSE_DEMO_API', 'GATEHOUSE_DEMO_MAX_UPLOAD_BYTES'];
/** The test runner's variables (GATEHOUSE_TEST_POSTGRES_URL …). */
const TEST_VARIABLE_PREFIX = 'GATEHOUSE_TEST_';

export interface UnknownEnvironmentVariable {
  name: string;
  /** The known variable it most likely misspells, if one is close. */
  suggestion?: string;
  /** One line for the operator: `unknown environment variable GATEHOUSE_PROT (did you mean GATEHOUSE_PORT?)`. */
  message: string;
}

/**
 * The `GATEHOUSE_*` variables of `env` that no setting reads (a misspelling silently
 * leaves the default in force), each with the closest known name. Pure: the CLI prints
 * them on stderr and `serve` logs them as warnings.
 */
export function unknownEnvironmentVariables(env: Readonly<Record<string, string | undefined>>): UnknownEnvironmentVariable[] {
  const known = [...settingEntries().flatMap(([, schema]) => (schema.env ? [schema.env] : [])), ...OTHER_KNOWN_VARIABLES];
  return Object.keys(env)
    .filter((name) => name.startsWith('GATEHOUSE_') && !name.startsWith(TEST_VARIABLE_PREFIX) && !known.includes(name))
    .sort()
    .map((name) => {
      const suggestion = closestName(name, known);
      const hint = suggestion ? `did you mean ${suggestion}?` : 'the settings are listed in docs/configuration.md';
      return { name, ...(suggestion ? { suggestion } : {}), message: `unknown environment variable ${name} (${hint})` };
    });
}

/** The known name a typo most likely meant: a few edits away, or one being the start of the other. */
function closestName(name: string, known: string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor((name.length - 'GATEHOUSE_'.length) / 4))) return best.candidate;
  // Of several such names (GATEHOUSE_DATABASE: _URL and _POOL_SIZE), the fewest edits away.
  const prefixed = known.filter((candidate) => name.startsWith(`${candidate}`) || candidate.startsWith(name)).sort((a, b) => editDistance(name, a) - editDistance(name, b));
  return prefixed.length === 1 || (prefixed.length > 1 && editDistance(name, prefixed[0]!) < editDistance(name, prefixed[1]!)) ? prefixed[0] : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
