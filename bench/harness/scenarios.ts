// The scenarios of `npm run bench`: what is started, what is driven, and the targets.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Seeded } from '../servers/bench-data.js';
import type { StatementPlan } from '../servers/query-plans.js';
import { CredentialPool, Seeder } from './credential-pool.js';
import type { Target } from './drive.js';
import { createScratchDatabase, postgresUnavailable, type ScratchDatabase } from './postgres.js';
import { runScript, startServer, stopChild } from './processes.js';
import { table } from './report.js';

export interface Ratio {
  numerator: string;
  denominator: string;
  /** The target: req/s of numerator / denominator at least this. Absent: reported only. */
  min?: number;
  note: string;
  /** Compare answers per CPU-second of each server instead of req/s (robust to a busy machine; counts no database process). */
  perCpuSecond?: boolean;
}

/**
 * A contestant computed from two others, round by round (the floor: from the HTTP floor
 * server's req/s and the signing rate measured in the same round).
 */
export interface Derived {
  name: string;
  from: [string, string];
  combine(a: number, b: number): number;
}

export interface StartOptions {
  connections: number;
  /** The first guess of a grant's req/s, to size the first seeding of single-use credentials. */
  grantRate: number;
  /** The `scale` scenario's two database sizes (clients, and live refresh tokens): --scale-small and --scale-size. */
  scaleSizes: [number, number];
  /** The `scale` scenario's databases (--scale-dialects). */
  scaleDialects: ('SQLite' | 'PostgreSQL')[];
}

export interface Started {
  targets: Target[];
  stop(): Promise<void>;
  /** Lines for the report (e.g. seeding figures), read after the rounds. */
  notes?(): string[] | Promise<string[]>;
}

export interface Scenario {
  name: string;
  description: string;
  start(options: StartOptions): Promise<Started>;
  ratios: Ratio[];
  derived?: Derived[];
  /** Targets on latency: [contestant, reference] — the contestant's p99 at most the reference's. */
  p99Targets?: [string, string][];
}

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
export const FORM = 'application/x-www-form-urlencoded';
export const CLIENT_CREDENTIALS_BODY = 'grant_type=client_credentials&scope=documents%3Aread';
/** Live grants the grants seeder adds before the rounds (the server's bulk seeding already wrote 10 000, each with a refresh token never presented). */
const BASELINE_GRANTS = 0;

/** A token-endpoint contestant: a server script printing `READY <port> <client_id> <secret>`. */
async function tokenContestant(name: string, script: string, path: string, env: Record<string, string> = {}): Promise<{ target: Target; child: ChildProcess }> {
  const { child, port, extra } = await startServer(script, env);
  const [clientId, secret] = extra;
  return {
    child,
    target: {
      name,
      method: 'POST',
      url: `http://127.0.0.1:${port}${path}`,
      headers: { authorization: basic(clientId!, secret!), 'content-type': FORM },
      body: CLIENT_CREDENTIALS_BODY,
      pid: child.pid!,
      gatehouse: script.includes('gatehouse'),
    },
  };
}

/** The token bench server (Gatehouse ES256, SQLite, 10 000 clients) as a client_credentials contestant: also what the soak drives. */
export function gatehouseTokenContestant(name = GATEHOUSE_SQLITE): Promise<{ target: Target; child: ChildProcess }> {
  return tokenContestant(name, 'servers/gatehouse-server.ts', '/oauth/token');
}

/** What a contestant needs stopped: its server, and a scratch database. */
interface Running {
  target: Target;
  child: ChildProcess;
  database?: ScratchDatabase;
}

async function stopRunning(running: Running[]): Promise<void> {
  await Promise.all(running.map((r) => stopChild(r.child)));
  for (const r of running) await r.database?.drop();
}

/** Gatehouse on a scratch PostgreSQL database (10 000 clients, seeded as on SQLite). */
async function gatehousePostgresContestant(name: string): Promise<Running> {
  const database = await createScratchDatabase();
  try {
    const { target, child } = await tokenContestant(name, 'servers/gatehouse-server.ts', '/oauth/token', { BENCH_DATABASE_URL: database.url });
    return { target, child, database };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** The floor's signature half: ES256 signatures per second on the servers' core (bench/servers/sign-rate.ts). */
function signingRateContestant(name: string): Target {
  return {
    name,
    method: 'POST',
    url: 'about:blank',
    headers: {},
    pid: 0,
    run: async (seconds) => {
      const output = await runScript('servers/sign-rate.ts', { BENCH_SECONDS: String(seconds) }, true);
      const match = /^SIGNED (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(output);
      if (!match) throw new Error(`sign-rate.ts printed no SIGNED line: ${output}`);
      const [count, elapsed, cpu, rss] = match.slice(1).map(Number) as [number, number, number, number];
      return { requestsPerSecond: count / elapsed, p50: 0, p99: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {}, errorSamples: [], rssMaxMb: rss, rssAfterMb: rss, serverCpu: (cpu / elapsed) * 100, loadGeneratorCpu: 0 };
    },
  };
}

export const GATEHOUSE_SQLITE = 'gatehouse ES256 SQLite';
export const GATEHOUSE_POSTGRES = 'gatehouse ES256 PostgreSQL';
const BARE = 'bare token server';
const HTTP_FLOOR = 'floor: node:http, fixed answer';
const SIGN_RATE = 'floor: ES256 signatures/s';
export const FLOOR = 'physical floor of one core';

/** floor = 1 / (1/http + 1/sign): one core answering with node:http and computing one ES256 signature per answer, nothing else. */
export function physicalFloor(httpPerSecond: number, signaturesPerSecond: number): number {
  if (!(httpPerSecond > 0) || !(signaturesPerSecond > 0)) return 0;
  return 1 / (1 / httpPerSecond + 1 / signaturesPerSecond);
}

const token: Scenario = {
  name: 'token',
  description:
    'POST /oauth/token, client_credentials, client_secret_basic, scope documents:read: Gatehouse ES256 on SQLite and on PostgreSQL (10 000 clients each), Gatehouse RS256 (SQLite), panva oidc-provider (in-memory, JWT access tokens, ES256), a bare node:http token server (parses the request, checks the secret, signs an ES256 JWT; answering as it reads and, a second server, in waves as Gatehouse does: a reference, not a limit), and the physical floor of one core: a node:http server answering a fixed token-sized body, and ES256 signatures per second in a separate process on the same core, floor = 1 / (1/http + 1/sign)',
  async start() {
    const started: Running[] = [];
    const notes: string[] = [];
    try {
      started.push(await gatehouseTokenContestant());
      const unavailable = postgresUnavailable();
      if (unavailable) {
        console.log(`  ${unavailable}`);
        notes.push(`**${unavailable}.**`);
      } else {
        started.push(await gatehousePostgresContestant(GATEHOUSE_POSTGRES));
      }
      started.push(await tokenContestant('gatehouse RS256', 'servers/gatehouse-server.ts', '/oauth/token', { BENCH_ALG: 'RS256' }));
      started.push(await tokenContestant('oidc-provider', 'servers/oidc-provider-server.ts', '/token'));
      started.push(await tokenContestant(BARE, 'servers/bare-server.ts', '/oauth/token'));
      started.push(await tokenContestant(`${BARE}, in waves`, 'servers/bare-server.ts', '/oauth/token', { BENCH_WAVES: '1' }));
      started.push(await tokenContestant(HTTP_FLOOR, 'servers/http-floor-server.ts', '/oauth/token'));
    } catch (error) {
      await stopRunning(started);
      throw error;
    }
    return {
      targets: [...started.map((s) => s.target), signingRateContestant(SIGN_RATE)],
      stop: () => stopRunning(started),
      notes: () => notes,
    };
  },
  derived: [{ name: FLOOR, from: [HTTP_FLOOR, SIGN_RATE], combine: physicalFloor }],
  ratios: [
    { numerator: GATEHOUSE_POSTGRES, denominator: GATEHOUSE_SQLITE, min: 0.8, note: 'target ≥ 0.8 (issue 15): the same server on PostgreSQL vs on SQLite' },
    { numerator: GATEHOUSE_SQLITE, denominator: FLOOR, note: 'Gatehouse against what one core can do at all (per round: 1 / (1/http + 1/sign))' },
    { numerator: GATEHOUSE_SQLITE, denominator: FLOOR, perCpuSecond: true, note: 'the same per CPU-second each process used: what the core does while it works for it' },
    { numerator: GATEHOUSE_POSTGRES, denominator: FLOOR, note: 'the same on PostgreSQL' },
    { numerator: GATEHOUSE_SQLITE, denominator: BARE, min: 0.8, note: 'target ≥ 0.8 (issue 5): Gatehouse vs a token server without framework or store; not a limit (it measures about as Gatehouse does)' },
    { numerator: GATEHOUSE_SQLITE, denominator: 'oidc-provider', note: 'the issue hopes for ≈ 3' },
    { numerator: 'gatehouse RS256', denominator: GATEHOUSE_SQLITE, note: 'RS256 signing costs more' },
    { numerator: BARE, denominator: FLOOR, note: 'what parsing, the secret check, building the claims and JSON cost the bare server' },
    { numerator: GATEHOUSE_SQLITE, denominator: `${BARE}, in waves`, note: "the bare server working in waves as Gatehouse does: what Gatehouse's own work costs" },
  ],
  p99Targets: [[GATEHOUSE_SQLITE, 'oidc-provider']],
};

const resource: Scenario = {
  name: 'resource',
  description: '@gatehouse-auth/resource: the same JSON route (20 file records), unprotected vs protected (ES256 token, scope + X-Tenant check, revocation check)',
  async start() {
    const { child, port, extra } = await startServer('servers/resource-server.ts');
    const [accessToken] = extra;
    const base = `http://127.0.0.1:${port}`;
    const target = (name: string, path: string, headers: Record<string, string>): Target => ({ name, method: 'GET', url: `${base}${path}`, headers: { ...headers, 'x-tenant': 'acme' }, pid: child.pid! });
    return {
      targets: [
        target('unprotected route', '/open/files', {}),
        target('protected route', '/protected/files', { authorization: `Bearer ${accessToken}` }),
        target('protected, cache off', '/uncached/files', { authorization: `Bearer ${accessToken}` }),
      ],
      stop: () => stopChild(child),
    };
  },
  ratios: [
    { numerator: 'protected route', denominator: 'unprotected route', min: 0.85, note: 'target ≥ 0.85' },
    { numerator: 'protected, cache off', denominator: 'unprotected route', note: 'first sight of a token: full ES256 verification' },
  ],
};

/** One Gatehouse server with single-use credentials seeded for it (the `grants` and `scale` scenarios). */
export interface GrantsServer {
  targets: Target[];
  stop(): Promise<void>;
  notes(): string[];
}

/**
 * Starts a Gatehouse server for the grants (BENCH_GRANTS=1) with a grants seeder on its
 * database; `label` prefixes its contestants' names (`<label> client_credentials`, …).
 * `kinds`: which single-use grants are driven besides client_credentials. `env` goes to the
 * server (BENCH_DATABASE_URL, or BENCH_DIR + BENCH_SEEDED for a database seeded already).
 */
export async function startGrantsServer(
  label: string,
  options: StartOptions,
  env: Record<string, string>,
  { kinds = ['code', 'refresh'], baselineGrants = BASELINE_GRANTS }: { kinds?: ('code' | 'refresh')[]; baselineGrants?: number } = {},
): Promise<GrantsServer> {
  const { child, port, extra } = await startServer('servers/gatehouse-server.ts', { BENCH_GRANTS: '1', ...env });
  const [ccId, ccSecret, clientId, secret, userId, dir] = extra;
  let seeder: Seeder | undefined;
  let baseline = { ms: 0 };
  try {
    seeder = await Seeder.start({ dir: dir!, clientId: clientId!, userId: userId!, databaseUrl: env.BENCH_DATABASE_URL });
    // A server in use has many live grants, not only the ones the bench presents: the
    // tables start with `baselineGrants` of them (each with a refresh token never presented).
    if (baselineGrants > 0) {
      baseline = await seeder.seed('refresh', baselineGrants);
      console.log(`  ${label}: seeded ${baselineGrants} other live grants with their refresh tokens in ${(baseline.ms / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    await seeder?.stop();
    await stopChild(child);
    throw error;
  }
  const url = `http://127.0.0.1:${port}/oauth/token`;
  const pool = (kind: 'code' | 'refresh') =>
    new CredentialPool(seeder!, kind, {
      initialRate: options.grantRate,
      connections: options.connections,
      exhaustedBody: kind === 'code' ? 'grant_type=authorization_code&code=bench_pool_exhausted' : 'grant_type=refresh_token&refresh_token=bench_pool_exhausted',
    });
  const pools = kinds.map(pool);
  const pooled = (name: string, credentials: CredentialPool): Target => ({
    name,
    method: 'POST',
    url,
    headers: { authorization: basic(clientId!, secret!), 'content-type': FORM },
    nextBody: () => credentials.take(),
    pid: child.pid!,
    gatehouse: true,
    prepare: (seconds) => credentials.prepare(seconds),
    observe: (rate) => credentials.observe(rate),
  });
  return {
    targets: [
      // Rebuilt every request like the others, so that the load generator does the same work for all.
      {
        name: `${label} client_credentials`,
        method: 'POST',
        url,
        headers: { authorization: basic(ccId!, ccSecret!), 'content-type': FORM },
        nextBody: () => CLIENT_CREDENTIALS_BODY,
        pid: child.pid!,
        gatehouse: true,
        // Driven first: the cheapest grant's rate bounds the others' until theirs are known.
        observe: (rate) => {
          for (const p of pools) p.expect(rate);
        },
      },
      ...pools.map((p) => pooled(`${label} ${p.kind === 'code' ? 'authorization_code' : 'refresh_token'}`, p)),
    ],
    stop: async () => {
      await seeder!.stop();
      await stopChild(child);
    },
    notes: () => [
      ...(baselineGrants > 0
        ? [`${label}: the database also holds ${baselineGrants} other live grants (refresh tokens never presented), seeded in ${(baseline.ms / 1000).toFixed(1)} s, and every grant made by the rounds' code exchanges.`]
        : []),
      ...pools.map(({ kind, stats }) => {
        const what = kind === 'code' ? 'authorization codes' : 'refresh tokens (each with its grant)';
        const rate = stats.seedingMs > 0 ? Math.round(stats.seeded / (stats.seedingMs / 1000)) : 0;
        const exhausted = stats.exhausted > 0 ? `, **${stats.exhausted} requests found the pool empty**` : '';
        return `${label}: seeded ${stats.seeded} ${what} in ${(stats.seedingMs / 1000).toFixed(1)} s (${rate}/s, not timed); ${stats.used} used, ${stats.dropped} dropped as too old${exhausted}.`;
      }),
    ],
  };
}

const grants: Scenario = {
  name: 'grants',
  description:
    "POST /oauth/token on two Gatehouse ES256 servers, one on SQLite and one on PostgreSQL (10 000 clients each), client_secret_basic, scope documents:read: client_credentials; authorization_code exchange (PKCE S256, redirect_uri, tenant, refresh token issued); refresh_token (rotation of a grant's first refresh token, tenant). Every code and refresh token is used once: they are seeded before each round (not timed) by a separate process per server, through the store's own repositories, on top of 10 000 other live grants",
  async start(options) {
    const servers: GrantsServer[] = [];
    const databases: ScratchDatabase[] = [];
    const notes: string[] = [];
    const stop = async () => {
      for (const server of servers) await server.stop();
      for (const database of databases) await database.drop();
    };
    try {
      servers.push(await startGrantsServer('SQLite', options, {}));
      const unavailable = postgresUnavailable();
      if (unavailable) {
        console.log(`  ${unavailable}`);
        notes.push(`**${unavailable}.**`);
      } else {
        const database = await createScratchDatabase();
        databases.push(database);
        servers.push(await startGrantsServer('PostgreSQL', options, { BENCH_DATABASE_URL: database.url }));
      }
    } catch (error) {
      await stop();
      throw error;
    }
    return { targets: servers.flatMap((s) => s.targets), stop, notes: () => [...notes, ...servers.flatMap((s) => s.notes())] };
  },
  ratios: [
    { numerator: 'PostgreSQL client_credentials', denominator: 'SQLite client_credentials', note: 'PostgreSQL / SQLite (the `token` scenario holds the 0.8 target)' },
    { numerator: 'PostgreSQL authorization_code', denominator: 'SQLite authorization_code', note: 'code exchange, PostgreSQL / SQLite' },
    { numerator: 'PostgreSQL refresh_token', denominator: 'SQLite refresh_token', note: 'refresh, PostgreSQL / SQLite' },
    { numerator: 'SQLite authorization_code', denominator: 'SQLite client_credentials', note: 'code exchange: consume the code, create the grant and a refresh token' },
    { numerator: 'SQLite refresh_token', denominator: 'SQLite client_credentials', note: 'refresh: look up the token and its grant, rotate (two writes)' },
    { numerator: 'PostgreSQL authorization_code', denominator: 'PostgreSQL client_credentials', note: 'the same on PostgreSQL' },
    { numerator: 'PostgreSQL refresh_token', denominator: 'PostgreSQL client_credentials', note: 'the same on PostgreSQL' },
  ],
};

/** 10 000 → "10k", 1 000 000 → "1M". */
export function sizeLabel(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1000 && count % 1000 === 0) return `${count / 1000}k`;
  return String(count);
}

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
/** Tables that grow with the seeding: a full scan of one on a hot path would make its cost grow with them. */
const SEEDED_TABLES = ['clients', 'grants', 'refresh_tokens'];

function planNote(label: string, plans: StatementPlan[]): string {
  const lines = [`Query plans of the hot-path statements, ${label} (the store's own statements, run by its repository functions and EXPLAINed with their parameters):`, ''];
  for (const plan of plans) {
    const grown = plan.scans.filter((table) => SEEDED_TABLES.includes(table));
    const verdict =
      grown.length > 0
        ? `❌ full scan of ${grown.join(', ')}`
        : plan.scans.length > 0
          ? `✅ index lookups on the seeded tables (a scan of ${plan.scans.join(', ')}: one row each here, where the planner prefers a scan)`
          : '✅ index lookups only';
    lines.push(`- ${plan.step}: ${verdict}`, '', '  ```', `  ${plan.sql}`, ...plan.plan.map((line) => `    ${line}`), '  ```');
  }
  return lines.join('\n');
}

const scale: Scenario = {
  name: 'scale',
  description:
    'client_credentials and refresh_token (rotation) on Gatehouse ES256 servers whose database holds N clients and N live grants, each with a refresh token (N = --scale-small, default 10 000, and --scale-size, default 1 000 000), on SQLite and on PostgreSQL: four servers, driven in alternating rounds. Each database is seeded in bulk through the store (bench/servers/scale-seed.ts: multi-row INSERTs in transactions, secrets and tokens digested as the store does) before its server starts; the refresh tokens presented are seeded before each round by the grants seeder, on top of those N',
  async start(options) {
    const [small, large] = options.scaleSizes;
    const servers: GrantsServer[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    const notes: string[] = [];
    const seedings: string[][] = [];
    const stop = async () => {
      for (const server of servers) await server.stop();
      for (const cleanup of cleanups) await cleanup();
    };
    const dialects: ('SQLite' | 'PostgreSQL')[] = options.scaleDialects.filter((dialect) => dialect === 'SQLite');
    const unavailable = postgresUnavailable();
    if (!options.scaleDialects.includes('PostgreSQL')) {
      // not asked for
    } else if (unavailable) {
      console.log(`  ${unavailable}`);
      notes.push(`**${unavailable}.**`);
    } else {
      dialects.push('PostgreSQL');
    }
    try {
      for (const dialect of dialects) {
        for (const count of [small, large]) {
          const label = `${dialect} ${sizeLabel(count)}`;
          const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-scale-'));
          cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
          const env: Record<string, string> = { BENCH_DIR: dir, BENCH_SCALE: String(count) };
          if (dialect === 'PostgreSQL') {
            const database = await createScratchDatabase();
            cleanups.push(() => database.drop());
            env.BENCH_DATABASE_URL = database.url;
          }
          console.log(`  ${label}: seeding ${count} clients and ${count} live grants with their refresh tokens, in bulk …`);
          const output = await runScript('servers/scale-seed.ts', env);
          const line = output.split('\n').find((l) => l.startsWith('SEEDED '));
          if (!line) throw new Error(`scale-seed.ts printed no SEEDED line for ${label}`);
          const seeded = JSON.parse(line.slice('SEEDED '.length)) as Seeded;
          const stats = seeded.scale!;
          console.log(`  ${label}: seeded in ${(stats.seedMs / 1000).toFixed(1)} s, database ${mebibytes(stats.bytes)}`);
          seedings.push([label, String(count), String(count), (stats.clientsMs / 1000).toFixed(1), (stats.grantsMs / 1000).toFixed(1), (stats.seedMs / 1000).toFixed(1), mebibytes(stats.bytes)]);
          if (count === large) notes.push(planNote(label, stats.plans));
          const { plans: _plans, ...withoutPlans } = stats;
          servers.push(await startGrantsServer(label, options, { ...env, BENCH_SEEDED: JSON.stringify({ ...seeded, scale: withoutPlans }) }, { kinds: ['refresh'], baselineGrants: 0 }));
        }
      }
    } catch (error) {
      await stop();
      throw error;
    }
    return {
      targets: servers.flatMap((s) => s.targets),
      stop,
      notes: () => [
        [
          'Seeding (bulk, through the store; not timed with the rounds; the database size after seeding: SQLite the file after a WAL checkpoint, PostgreSQL pg_database_size after ANALYZE):',
          '',
          ...table(['database', 'clients', 'live grants + refresh tokens', 'clients s', 'grants + refresh tokens s', 'total s (with migrations and key)', 'size'], seedings),
        ].join('\n'),
        ...notes,
        ...servers.flatMap((s) => s.notes()),
      ],
    };
  },
  // Filled in by scaleRatios() once the sizes are known.
  ratios: [],
};

/** The scale scenario's ratios: large / small per dialect and grant (target: within 10 %), and PostgreSQL / SQLite at the large size. */
export function scaleRatios(small: number, large: number): Ratio[] {
  const [s, l] = [sizeLabel(small), sizeLabel(large)];
  const ratios: Ratio[] = [];
  for (const dialect of ['SQLite', 'PostgreSQL']) {
    for (const grant of ['client_credentials', 'refresh_token']) {
      ratios.push({ numerator: `${dialect} ${l} ${grant}`, denominator: `${dialect} ${s} ${grant}`, min: 0.9, note: `target ≥ 0.9: ${grant} costs the same at ${l} as at ${s} (within 10 %)` });
    }
  }
  for (const grant of ['client_credentials', 'refresh_token']) {
    ratios.push({ numerator: `PostgreSQL ${l} ${grant}`, denominator: `SQLite ${l} ${grant}`, note: `PostgreSQL / SQLite at ${l}` });
  }
  return ratios;
}

export const SCENARIOS: Scenario[] = [token, resource, grants, scale];
