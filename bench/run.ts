// `npm run bench [-- <scenario>...] [--duration S] [--rounds N] [--connections C]`
//
// Starts each contestant in its own process on loopback, warms it up, then drives it with
// autocannon in alternating rounds (A B A B …) and reports req/s, p50, p99, non-2xx and
// server RSS, plus ratios computed within the same run: this machine is shared and noisy,
// so the ratios, not the absolute figures, are the result. Writes bench/results/latest.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

interface Target {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  pid: number;
}

interface Measurement {
  requests: number[];
  p50: number[];
  p99: number[];
  non2xx: number;
  errors: number;
  rssMb: number;
}

interface Scenario {
  name: string;
  description: string;
  /** Starts the servers; returns the targets (compared in order) and a stop function. */
  start(): Promise<{ targets: Target[]; stop(): Promise<void> }>;
  /** Ratios to report: [numerator target, denominator target, what the target is]. */
  ratios: [string, string, string][];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
  },
});
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const WARMUP = Number(values.warmup);

/** Spawns a bench server (TypeScript through tsx) and waits for its `READY <port> …` line. */
async function startServer(script: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; extra: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        const [, port, ...extra] = line.trim().split(' ');
        resolve({ child, port: Number(port), extra });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function drive(target: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    ...(target.body !== undefined ? { body: target.body } : {}),
    connections: CONNECTIONS,
    duration: seconds,
  });
}

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
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=documents%3Aread',
      pid: child.pid!,
    },
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'token',
    description:
      'POST /oauth/token, client_credentials, client_secret_basic, scope documents:read: Gatehouse (SQLite, 10 000 clients, ES256 and RS256), panva oidc-provider (in-memory, JWT access tokens, ES256), and the limit: bare node:http signing an ES256 JWT of the same size',
    async start(): Promise<{ targets: Target[]; stop(): Promise<void> }> {
      const started: { target: Target; child: ChildProcess }[] = [];
      started.push(await tokenContestant('gatehouse ES256', 'bench/servers/gatehouse-server.ts', '/oauth/token'));
      started.push(await tokenContestant('gatehouse RS256', 'bench/servers/gatehouse-server.ts', '/oauth/token', { BENCH_ALG: 'RS256' }));
      started.push(await tokenContestant('oidc-provider', 'bench/servers/oidc-provider-server.ts', '/token'));
      started.push(await tokenContestant('bare limit', 'bench/servers/bare-server.ts', '/oauth/token'));
      return {
        targets: started.map((s) => s.target),
        stop: async () => {
          await Promise.all(started.map((s) => stopChild(s.child)));
        },
      };
    },
    ratios: [
      ['gatehouse ES256', 'bare limit', 'target ≥ 0.8'],
      ['gatehouse ES256', 'oidc-provider', 'target ≈ 3'],
      ['gatehouse RS256', 'gatehouse ES256', 'RS256 signing costs more'],
      ['oidc-provider', 'bare limit', 'reference: about 0.27–0.29 on this machine'],
    ],
  },
  {
    name: 'resource',
    description: 'gatehouse/resource: the same JSON route (20 file records), unprotected vs protected (ES256 token, scope + X-Tenant check, revocation check)',
    async start(): Promise<{ targets: Target[]; stop(): Promise<void> }> {
      const { child, port, extra } = await startServer('bench/servers/resource-server.ts');
      const [token] = extra;
      const base = `http://127.0.0.1:${port}`;
      return {
        targets: [
          { name: 'unprotected route', method: 'GET', url: `${base}/open/files`, headers: { 'x-tenant': 'acme' }, pid: child.pid! },
          { name: 'protected route', method: 'GET', url: `${base}/protected/files`, headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, pid: child.pid! },
          { name: 'protected, cache off', method: 'GET', url: `${base}/uncached/files`, headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, pid: child.pid! },
        ],
        stop: () => stopChild(child),
      };
    },
    ratios: [
      ['protected route', 'unprotected route', 'target ≥ 0.85'],
      ['protected, cache off', 'unprotected route', 'first sight of a token: full ES256 verification'],
    ],
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function runScenario(scenario: Scenario): Promise<string> {
  console.log(`\n## ${scenario.name}: ${scenario.description}`);
  const { targets, stop } = await scenario.start();
  const results = new Map<string, Measurement>(targets.map((t) => [t.name, { requests: [], p50: [], p99: [], non2xx: 0, errors: 0, rssMb: 0 }]));
  try {
    for (const target of targets) {
      console.log(`warming up ${target.name} (${WARMUP} s)`);
      await drive(target, WARMUP);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) {
        const result = await drive(target, DURATION);
        const m = results.get(target.name)!;
        m.requests.push(result.requests.average);
        m.p50.push(result.latency.p50);
        m.p99.push(result.latency.p99);
        m.non2xx += result.non2xx;
        m.errors += result.errors + result.timeouts;
        m.rssMb = Math.max(m.rssMb, rssMb(target.pid));
        console.log(`round ${round} ${target.name}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
      }
    }
  } finally {
    await stop();
  }
  const rows = targets.map((t) => {
    const m = results.get(t.name)!;
    return `| ${t.name} | ${Math.round(median(m.requests))} | ${median(m.p50)} | ${median(m.p99)} | ${m.non2xx + m.errors} | ${m.rssMb} |`;
  });
  const ratioRows = scenario.ratios.map(([a, b, goal]) => {
    const ratio = median(results.get(a)!.requests) / median(results.get(b)!.requests);
    return `| ${a} / ${b} | ${ratio.toFixed(2)} | ${goal} |`;
  });
  return [
    `### ${scenario.name}`,
    '',
    scenario.description,
    '',
    '| contestant | req/s (median of rounds) | p50 ms | p99 ms | non-2xx + errors | server RSS MB |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '| ratio (req/s) | value | goal |',
    '|---|---|---|',
    ...ratioRows,
    '',
  ].join('\n');
}

const chosen = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => positionals.includes(s.name));
if (chosen.length === 0) {
  console.error(`unknown scenario; choose from: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(1);
}
const sections: string[] = [];
for (const scenario of chosen) sections.push(await runScenario(scenario));
const report = [
  '# Gatehouse benchmark',
  '',
  `${new Date().toISOString()} · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s after ${WARMUP} s warm-up`,
  '',
  ...sections,
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.md', report);
console.log(`\n${report}`);
