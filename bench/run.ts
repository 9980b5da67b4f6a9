// Gatehouse benchmarks, compared with peers in the same run.
//
//   npm run bench                          token, resource and grants
//   npm run bench -- token grants          some of them
//   npm run bench -- scale                 the scale scenario (seeds 1 000 000 rows per table: many minutes; only when named)
//   npm run bench -- --soak                the 10-minute soak instead
//
// Flags:
//   --duration S      seconds per round (6)             --rounds N        rounds (5; the median is reported)
//   --warmup S        warm-up per contestant (3)        --connections C   (50)
//   --grant-rate R    grants: the req/s to seed codes and refresh tokens for while nothing is
//                     measured yet (15000); normally 1.5 × the fastest rate seen, of the grant
//                     itself or of client_credentials (an upper bound), sizes each seeding
//   --soak            the soak instead of the scenarios: client_credentials on the Gatehouse
//                     ES256 token bench server, without a pause; RSS every 5 s; per-minute table
//   --postgres URL    the PostgreSQL server of the PostgreSQL contestants (default: env
//                     GATEHOUSE_BENCH_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres):
//                     each contestant gets a scratch database (gatehouse_bench_<hex>), created and
//                     dropped by the bench; unreachable (or `off`): those contestants are skipped,
//                     with a line saying so in the report
//   --cpu N|none      the CPU every server is pinned to with taskset (default: the last one);
//                     the floor's signing process runs there too; `none`: not pinned
//   --scale-size N    scale: the large database, N clients and N live refresh tokens (1000000)
//   --scale-small N   scale: the small one (10000)
//   --scale-dialects sqlite,postgres   scale: which databases (both)
//   --report PATH     where the report is written (bench/results/latest.md)
//   --soak-minutes M  (10)
//   --soak-warmup S   not judged for growth (default 10 %, at least 30 s: the first minute of 10)
//   --tsx             run the bench servers through tsx instead of compiled: tsx's loader adds
//                     about 60 MB to every server's RSS (bench/harness/build.ts)
//   --load-generator auto|wrk|autocannon
//                     what sends the load (auto): wrk (`apt-get install wrk`; C, one thread, a
//                     process of its own) when `wrk` is on PATH, else autocannon in this process;
//                     `wrk` when it is not installed is an error. A scenario is driven by one
//                     generator for all its contestants: autocannon when any of them rebuilds its
//                     body per request (grants: single-use credentials; wrk sends one fixed
//                     request). The soak always uses autocannon.
//
// Each contestant is a server process of its own on 127.0.0.1 (bench/servers/, transpiled
// with src/ and run by plain node, as `gatehouse serve` runs from dist/), warmed up,
// then driven in alternating rounds A B C A B C … by wrk when it is installed (one thread,
// `wrk -t1 -c<connections>`: on a 2-core machine autocannon in this process takes 65–75 % of
// a core on fast routes and can leave the server short of one; wrk takes about 50 %), else
// by autocannon in this process; every contestant of a scenario is driven the same way, and
// the report says which generator drove which scenario. Per contestant the report gives req/s
// (median of the rounds, and each round), p50 and p99 (median of the rounds; autocannon: of
// the 2xx answers, wrk: of every answer), non-2xx answers and connection errors, the server's
// RSS (VmRSS of /proc/<pid>/status sampled *during* the load, every 250 ms with autocannon and
// 100 ms with wrk; the max), and the CPU used by the server and by the load generator (% of one
// core, from /proc/<pid>/stat for wrk: a generator near 100 % limits what it can measure). wrk
// counts answers ≥ 400 ("non-2xx"), not per status: after a round with any, one probe request
// shows what the server says. The machine is shared and noisy: ratios within one run are the
// result, not the absolute figures.
//
// Scenarios:
//   token     client_credentials at POST /oauth/token: Gatehouse ES256 on SQLite and on
//             PostgreSQL, Gatehouse RS256 (SQLite; 10 000 clients each), panva oidc-provider,
//             the bare token server (node:http signing a JWT of the same size, validating
//             nothing else; also answering in waves as Gatehouse does): a reference, not a
//             limit; and the physical floor of one core: node:http answering a fixed
//             token-sized body, and ES256 signatures per second (a separate process on the
//             servers' core), floor = 1 / (1/http + 1/sign), computed round by round.
//   resource  @gatehouse-auth/resource: the same route unprotected, protected, and protected with
//             the verified-token cache off.
//   grants    a Gatehouse ES256 server on SQLite and one on PostgreSQL: client_credentials, the
//             authorization code exchange (PKCE S256, client_secret_basic) and refresh_token
//             (rotation). Codes and refresh tokens are single use: bench/servers/grants-seeder.ts
//             seeds them, through the store's own code, before each warm-up and round (not
//             timed; seeding times are in the report), and each request takes a fresh one.
//   scale     client_credentials and refresh_token on four servers: SQLite and PostgreSQL, with
//             10 000 and with 1 000 000 clients and live refresh tokens, seeded in bulk through
//             the store (bench/servers/scale-seed.ts); seeding time, database size and the query
//             plans of the hot statements in the report.
//
// Every server is pinned to one CPU (taskset, --cpu). Beside req/s the report gives answers
// per CPU-second of the server process (req/s over the share of a core it got): on a shared
// machine the steadier figure (it counts no database process: see docs/performance.md).
//
// Targets (the issues), marked PASS/FAIL in the report:
//   - gatehouse ES256 PostgreSQL / gatehouse ES256 SQLite ≥ 0.8 (req/s, client_credentials);
//   - scale: 1M / 10k ≥ 0.9 (req/s) for client_credentials and refresh, on each dialect;
//   - gatehouse ES256 / bare token server ≥ 0.8 (req/s): Gatehouse costs at most 20 % over a
//     bare token server parsing, checking the secret in constant time and signing (issue 5);
//   - gatehouse ES256 p99 ≤ oidc-provider p99;
//   - protected / unprotected route ≥ 0.85 (req/s): verifying a token costs at most 15 %;
//   - RSS under load ≤ 150 MB for every Gatehouse server;
//   - no non-2xx answer and no error, for every contestant (warm-ups included): a run with
//     any is not valid, is reported with "!!!" on stderr, and exits with code 2;
//   - soak: RSS growth after warm-up ≤ 10 %, both final vs right after warm-up and peak of the
//     last minute vs peak of the first minute after warm-up (GC makes RSS a sawtooth).
// The other ratios (ES256 / oidc-provider, RS256 / ES256, grants / client_credentials …) are
// reported without a verdict.
//
// Output: a Markdown report echoed to stdout and written to bench/results/latest.md (the
// soak: bench/results/soak.md); bench/results/ is not committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { drive, type LoadGenerator, type Round, type Target } from './harness/drive.js';
import { buildForBench } from './harness/build.js';
import { pinServersTo, runCompiledScriptsFrom, serverPinning, stopAllChildren } from './harness/processes.js';
import { AUTOCANNON, RSS_TARGET_MB, machineLines, machineSnapshot, mark, round0, round1, table } from './harness/report.js';
import { SCENARIOS, scaleRatios, type Scenario } from './harness/scenarios.js';
import { runSoak } from './harness/soak.js';
import { findWrk, wrkVersion } from './harness/wrk.js';
import { DEFAULT_POSTGRES_URL, describePostgres, dropAllScratchDatabases, postgresUnavailable, usePostgres } from './harness/postgres.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
    'grant-rate': { type: 'string', default: '15000' },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string', default: '10' },
    'soak-warmup': { type: 'string' },
    tsx: { type: 'boolean', default: false },
    'load-generator': { type: 'string', default: 'auto' },
    postgres: { type: 'string', default: process.env.GATEHOUSE_BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL },
    cpu: { type: 'string', default: String(cpus().length - 1) },
    report: { type: 'string', default: 'bench/results/latest.md' },
    'scale-size': { type: 'string', default: '1000000' },
    'scale-small': { type: 'string', default: '10000' },
    'scale-dialects': { type: 'string', default: 'sqlite,postgres' },
  },
});

function positive(name: string, value: string | undefined, integer = false): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    console.error(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got "${value}")`);
    process.exit(1);
  }
  return number;
}

const DURATION = positive('duration', values.duration, true);
const ROUNDS = positive('rounds', values.rounds, true);
const CONNECTIONS = positive('connections', values.connections, true);
const WARMUP = positive('warmup', values.warmup, true);
const GRANT_RATE = positive('grant-rate', values['grant-rate']);
const SOAK_MINUTES = positive('soak-minutes', values['soak-minutes']);
const SOAK_WARMUP = values['soak-warmup'] === undefined ? undefined : positive('soak-warmup', values['soak-warmup']);

const SCALE_SIZE = positive('scale-size', values['scale-size'], true);
const SCALE_SMALL = positive('scale-small', values['scale-small'], true);
const DIALECT_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;
const SCALE_DIALECTS = values['scale-dialects']!.split(',').map((name) => {
  const dialect = DIALECT_NAMES[name.trim() as keyof typeof DIALECT_NAMES];
  if (!dialect) {
    console.error(`--scale-dialects: a comma-separated list of sqlite, postgres (got "${values['scale-dialects']}")`);
    process.exit(1);
  }
  return dialect;
});
if (values.cpu === 'none') pinServersTo(undefined);
else pinServersTo(positive('cpu', String(Number(values.cpu) + 1), true) - 1);

for (const scenario of SCENARIOS) if (scenario.name === 'scale') scenario.ratios = scaleRatios(SCALE_SMALL, SCALE_SIZE);

const GENERATOR_CHOICES = ['auto', 'wrk', 'autocannon'];
const generatorChoice = values['load-generator']!;
if (!GENERATOR_CHOICES.includes(generatorChoice)) {
  console.error(`--load-generator must be one of ${GENERATOR_CHOICES.join(', ')} (got "${generatorChoice}")`);
  process.exit(1);
}
const wrkPath = generatorChoice === 'autocannon' ? undefined : findWrk();
if (generatorChoice === 'wrk' && wrkPath === undefined) {
  console.error('--load-generator wrk: wrk is not installed (no `wrk` on PATH); install it (`apt-get install wrk`) or use --load-generator auto|autocannon');
  process.exit(1);
}
/** wrk for the scenarios whose requests are all the same, when chosen or found. */
const WRK = wrkPath === undefined ? undefined : { version: wrkVersion() };
const WRK_LABEL = WRK && `wrk ${WRK.version}, 1 thread, a process of its own`;

const unknown = values.soak ? [] : positionals.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from: ${SCENARIOS.map((s) => s.name).join(', ')} (or --soak)`);
  process.exit(1);
}
/** `scale` seeds millions of rows (many minutes): run only when named. */
const chosen = positionals.length === 0 ? SCENARIOS.filter((s) => s.name !== 'scale') : SCENARIOS.filter((s) => positionals.includes(s.name));

const RUNNER = values.tsx ? 'servers through tsx' : 'servers compiled, plain node';
const build = values.tsx ? undefined : buildForBench();
runCompiledScriptsFrom(build?.dir);
process.on('exit', () => build?.remove());

/** Ctrl-C: the soak stops its load and reports what it has; a scenario run stops its servers. */
const interrupt = new AbortController();
let soaking = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (soaking && !interrupt.signal.aborted) {
      console.error(`\n${signal}: stopping the soak, reporting what was measured`);
      interrupt.abort();
      return;
    }
    console.error(`\n${signal}: stopping the bench servers`);
    void stopAllChildren()
      .then(dropAllScratchDatabases)
      .then(() => process.exit(130));
  });
}

/**
 * Answers per CPU-second the server process used (its req/s over the share of a core it
 * got): on a shared machine, what one core does while it works for this process.
 */
function perCpuSecond(round: Round): number {
  return round.perCpuSecond ?? (round.serverCpu > 0 ? round.requestsPerSecond / (round.serverCpu / 100) : 0);
}

/** A round with nothing measured: the base of a derived contestant's rounds. */
const EMPTY_ROUND: Round = { requestsPerSecond: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {}, errorSamples: [], rssMaxMb: 0, rssAfterMb: 0, serverCpu: 0, loadGeneratorCpu: 0 };

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The spread of a contestant's rounds: `min–max (−a % / +b %)` around the median. */
function rangeOf(rates: number[]): string {
  const middle = median(rates);
  const [low, high] = [Math.min(...rates), Math.max(...rates)];
  if (!(middle > 0)) return '–';
  const percent = (value: number) => Math.round(((value - middle) / middle) * 100);
  return `${round0(low)}–${round0(high)} (${percent(low)} % / +${percent(high)} %)`;
}

/** A latency for the report: autocannon's are whole or half ms; wrk's have µs, and a median of two is a float sum. */
const ms = (value: number): string => String(Math.round(value * 100) / 100);

interface ScenarioOutcome {
  name: string;
  /** What drove its contestants, for the report header. */
  generator: string;
  lines: string[];
  /** Non-2xx answers and errors (warm-ups included), one line each. */
  problems: string[];
  passed: number;
  failed: number;
}

function describeFailures(label: string, round: Round): string {
  // wrk counts no answers per status: its statusCodes are `{ "non-2xx": n }`.
  const counted = 'non-2xx' in round.statusCodes;
  const statuses = counted
    ? 'wrk counts no statuses'
    : Object.entries(round.statusCodes)
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, count]) => `${status} × ${count}`)
        .join(', ');
  // wrk's sample is a probe request after the round, and says so.
  const what = counted ? '' : 'first answers: ';
  const samples = round.errorSamples.length > 0 ? `; ${what}${round.errorSamples.map((s) => `\`${s.replace(/\s+/g, ' ')}\``).join(' ')}` : '';
  return `${label}: ${round.non2xx} non-2xx (${statuses || 'none'}), ${round.errors} errors (${round.timeouts} timeouts)${samples}`;
}

async function runScenario(scenario: Scenario): Promise<ScenarioOutcome> {
  console.log(`\n## ${scenario.name}: ${scenario.description}`);
  const started = await scenario.start({ connections: CONNECTIONS, grantRate: GRANT_RATE, scaleSizes: [SCALE_SMALL, SCALE_SIZE], scaleDialects: SCALE_DIALECTS });
  const { targets } = started;
  // One generator for every contestant of a scenario (ratios compare like with like); wrk sends one fixed request.
  const rebuilt = targets.filter((t) => t.nextBody).map((t) => t.name);
  const generator: LoadGenerator = WRK && rebuilt.length === 0 ? 'wrk' : 'autocannon';
  const generatorLabel =
    generator === 'wrk'
      ? `${WRK_LABEL} (\`wrk -t1 -c${CONNECTIONS}\`)`
      : `${AUTOCANNON}${WRK && rebuilt.length > 0 ? ` (not wrk: ${rebuilt.join(', ')} ${rebuilt.length === 1 ? 'rebuilds its' : 'rebuild their'} body per request)` : ''}`;
  console.log(`  driven by ${generatorLabel}`);
  const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
  const failuresOf = new Map<string, number>(targets.map((t) => [t.name, 0]));
  const problems: string[] = [];

  const measure = async (target: Target, seconds: number, label: string): Promise<Round> => {
    await target.prepare?.(seconds);
    const round = await drive(target, seconds, CONNECTIONS, generator);
    target.observe?.(round.requestsPerSecond);
    console.log(
      `${label} ${target.name}: ${round0(round.requestsPerSecond)} req/s, p50 ${round.p50} ms, p99 ${round.p99} ms, RSS max ${round0(round.rssMaxMb)} MB, ` +
        `CPU server ${round0(round.serverCpu)} % / load generator ${round0(round.loadGeneratorCpu)} %, non-2xx ${round.non2xx}, errors ${round.errors}`,
    );
    if (round.non2xx + round.errors > 0) {
      const problem = describeFailures(`${scenario.name}, ${label}, ${target.name}`, round);
      console.error(`\n!!! ${problem}\n`);
      problems.push(problem);
      failuresOf.set(target.name, failuresOf.get(target.name)! + round.non2xx + round.errors);
    }
    return round;
  };

  let notes: string[] = [];
  try {
    for (const target of targets) await measure(target, WARMUP, 'warm-up');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) rounds.get(target.name)!.push(await measure(target, DURATION, `round ${round}`));
    }
    notes = (await started.notes?.()) ?? [];
  } finally {
    await started.stop();
  }

  // Contestants computed round by round from two measured ones (the floor).
  const derivedNames = (scenario.derived ?? []).map((d) => d.name);
  for (const derived of scenario.derived ?? []) {
    const [a, b] = derived.from.map((name) => rounds.get(name)!);
    rounds.set(
      derived.name,
      a!.map((round, i) => ({
        ...EMPTY_ROUND,
        requestsPerSecond: derived.combine(round.requestsPerSecond, b![i]!.requestsPerSecond),
        perCpuSecond: derived.combine(perCpuSecond(round), perCpuSecond(b![i]!)),
      })),
    );
  }

  const summary = (name: string) => {
    const all = rounds.get(name)!;
    return {
      requests: median(all.map((r) => r.requestsPerSecond)),
      perCpu: median(all.map(perCpuSecond)),
      p50: median(all.map((r) => r.p50)),
      p99: median(all.map((r) => r.p99)),
      non2xx: all.reduce((sum, r) => sum + r.non2xx, 0),
      errors: all.reduce((sum, r) => sum + r.errors, 0),
      rssMaxMb: Math.max(...all.map((r) => r.rssMaxMb)),
      serverCpu: median(all.map((r) => r.serverCpu)),
      loadGeneratorCpu: median(all.map((r) => r.loadGeneratorCpu)),
      perRound: all.map((r) => round0(r.requestsPerSecond)).join(', '),
      range: rangeOf(all.map((r) => r.requestsPerSecond)),
    };
  };

  const contestants = table(
    ['contestant', 'req/s (median)', 'req/s per round', 'range (min–max, % of median)', 'per CPU-second of the server', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS max under load MB', 'CPU % server', 'CPU % load gen'],
    [
      ...targets.map((t) => {
        const s = summary(t.name);
        const flag = (n: number) => (n > 0 ? `**${n} !!!**` : '0');
        if (t.run) return [t.name, round0(s.requests), s.perRound, s.range, round0(s.perCpu), '–', '–', '–', '–', round0(s.rssMaxMb), round0(s.serverCpu), '–'];
        return [t.name, round0(s.requests), s.perRound, s.range, round0(s.perCpu), ms(s.p50), ms(s.p99), flag(s.non2xx), flag(s.errors), round0(s.rssMaxMb), round0(s.serverCpu), round0(s.loadGeneratorCpu)];
      }),
      ...derivedNames.map((name) => {
        const s = summary(name);
        return [`**${name}** (computed per round)`, round0(s.requests), s.perRound, s.range, round0(s.perCpu), '–', '–', '–', '–', '–', '–', '–'];
      }),
    ],
  );

  const checks: string[][] = [];
  let passed = 0;
  let failed = 0;
  const verdict = (ok: boolean) => {
    if (ok) passed++;
    else failed++;
    return mark(ok);
  };
  for (const ratio of scenario.ratios) {
    if (!rounds.has(ratio.numerator) || !rounds.has(ratio.denominator)) continue; // a contestant skipped (no PostgreSQL)
    const [numerator, denominator] = [summary(ratio.numerator), summary(ratio.denominator)];
    const value = ratio.perCpuSecond ? numerator.perCpu / denominator.perCpu : numerator.requests / denominator.requests;
    checks.push([`${ratio.numerator} / ${ratio.denominator} (${ratio.perCpuSecond ? 'answers per CPU-second of the server' : 'req/s'})`, value.toFixed(2), ratio.note, ratio.min === undefined ? '–' : verdict(value >= ratio.min)]);
  }
  for (const [name, reference] of scenario.p99Targets ?? []) {
    const [mine, theirs] = [summary(name).p99, summary(reference).p99];
    checks.push([`${name} p99 vs ${reference} p99`, `${ms(mine)} vs ${ms(theirs)} ms`, `target: ${name} ≤ ${reference}`, verdict(mine <= theirs)]);
  }
  for (const target of targets.filter((t) => t.gatehouse)) {
    const rss = summary(target.name).rssMaxMb;
    checks.push([`${target.name}: server RSS under load (max)`, `${round1(rss)} MB`, `target ≤ ${RSS_TARGET_MB} MB`, verdict(rss <= RSS_TARGET_MB)]);
  }
  const failures = [...failuresOf.values()].reduce((sum, n) => sum + n, 0);
  const failing = targets.filter((t) => failuresOf.get(t.name)! > 0).map((t) => t.name);
  checks.push(['non-2xx + errors, every contestant, warm-ups included', failing.length === 0 ? '0' : `${failures} (${failing.join(', ')})`, 'target = 0', verdict(failures === 0)]);

  const lines = [
    `## ${scenario.name}`,
    '',
    scenario.description,
    '',
    `Driven by ${generatorLabel}.`,
    '',
    ...contestants,
    '',
    ...table(['ratio or target', 'value', 'target or note', 'result'], checks),
    '',
    ...notes.flatMap((note) => [note, '']),
    ...(problems.length > 0 ? ['**!!! non-2xx answers or errors:**', '', ...problems.map((p) => `- ${p}`), ''] : []),
  ];
  return { name: scenario.name, generator: generatorLabel, lines, problems, passed, failed };
}

mkdirSync('bench/results', { recursive: true });

if (values.soak) {
  if (positionals.length > 0) console.error(`--soak runs the soak only; ignoring ${positionals.join(', ')}`);
  if (generatorChoice === 'wrk') console.error('--soak: the soak is driven by autocannon (it counts answers per time bucket); ignoring --load-generator wrk');
  soaking = true;
  const { report, failures } = await runSoak({ minutes: SOAK_MINUTES, warmupSeconds: SOAK_WARMUP, connections: CONNECTIONS, runner: RUNNER }, interrupt.signal);
  writeFileSync('bench/results/soak.md', report);
  console.log(`\n${report}`);
  console.log('written to bench/results/soak.md');
  if (failures > 0) {
    console.error(`\n!!! the soak saw ${failures} non-2xx answers or errors: not a valid run`);
    process.exitCode = 2;
  }
} else {
  await usePostgres(values.postgres!);
  const startedAt = machineSnapshot();
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const scenario of chosen) outcomes.push(await runScenario(scenario));
  } catch (error) {
    await stopAllChildren();
    await dropAllScratchDatabases();
    throw error;
  }
  const passed = outcomes.reduce((sum, o) => sum + o.passed, 0);
  const failed = outcomes.reduce((sum, o) => sum + o.failed, 0);
  const problems = outcomes.flatMap((o) => o.problems);
  const header = machineLines(
    'Gatehouse benchmark',
    `${RUNNER}; ${serverPinning()}; ${CONNECTIONS} connections, ${WARMUP} s warm-up, then ${ROUNDS} rounds × ${DURATION} s per contestant, alternating; PostgreSQL: ${postgresUnavailable() ?? describePostgres()}`,
    [...new Set(outcomes.map((o) => o.generator))].map((generator) => `${outcomes.filter((o) => o.generator === generator).map((o) => o.name).join(', ')}: ${generator}`).join('; '),
    startedAt,
  );
  const report = [
    ...header,
    `**Targets: ${passed} PASS, ${failed} FAIL.**${problems.length > 0 ? ` **!!! ${problems.length} warm-ups or rounds had non-2xx answers or errors: the figures are not valid.**` : ' No non-2xx answer, no error.'}`,
    '',
    ...outcomes.flatMap((o) => o.lines),
  ].join('\n');
  mkdirSync(dirname(values.report!), { recursive: true });
  writeFileSync(values.report!, report);
  console.log(`\n${report}`);
  console.log(`written to ${values.report}`);
  if (problems.length > 0) {
    console.error(`\n!!! ${problems.length} warm-ups or rounds had non-2xx answers or errors:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    process.exitCode = 2;
  }
}
