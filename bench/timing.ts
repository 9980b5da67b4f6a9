// Timing side channels of client authentication at POST /oauth/token (issue 16).
//
//   npm run bench:timing                    3000 requests per arm (12 000 in all)
//   npm run bench:timing -- --requests N    N per arm
//
// One Gatehouse, started in this process on a temporary SQLite file and listening on
// 127.0.0.1 (throttle limits raised so that no failure is answered 429), one known
// confidential client. Two pairs of arms, each a client_credentials request with HTTP Basic
// that fails with 401 invalid_client:
//
//   secret     the right client_id with a wrong secret that shares all but its last character
//              with the right one, vs a random wrong secret of the same length and prefix;
//   client_id  an unknown, well-formed client_id vs the known one (both with a random secret).
//
// The arms of a pair are interleaved in random order over one keep-alive connection, one
// request at a time, so drift in the machine's load falls on both alike. Each arm's
// latencies (ns, measured around the whole request) go through Mann-Whitney U (normal
// approximation with tie correction: robust to the long tail) and Welch's t (normal
// approximation of the t distribution: exact enough at thousands of degrees of freedom).
// The verdict is "no significant difference" when both p-values are above 0.01.
// Not part of `npm test`: timing belongs to a quiet machine, not to CI assertions.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../packages/server/src/core/config.js';
import { CLIENT_SECRET_PREFIX } from '../packages/server/src/core/secrets.js';
import { buildApp } from '../packages/server/src/server/app.js';
import { openGatehouse } from '../packages/server/src/server/context.js';

const args = process.argv.slice(2);
const requestsFlag = args.indexOf('--requests');
const PER_ARM = requestsFlag === -1 ? 3000 : Number(args[requestsFlag + 1]);
if (!Number.isInteger(PER_ARM) || PER_ARM < 20) throw new Error('--requests takes an integer ≥ 20');
const WARMUP = 300;

// ---- statistics -------------------------------------------------------------------------

/** Complementary error function (Numerical Recipes erfcc: fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + z / 2);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Two-sided p-value of a standard normal statistic. */
const twoSided = (z: number): number => Math.min(1, erfc(Math.abs(z) / Math.SQRT2));

function mean(xs: readonly number[]): number {
  return xs.reduce((sum, x) => sum + x, 0) / xs.length;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((sum, x) => sum + (x - m) ** 2, 0) / (xs.length - 1);
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Welch's t statistic, its degrees of freedom and a two-sided p-value (normal approximation). */
function welch(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } {
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const t = (mean(a) - mean(b)) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df, p: twoSided(t) };
}

/** Mann-Whitney U (of `a`) and a two-sided p-value: normal approximation, mid-ranks, tie correction. */
function mannWhitney(a: readonly number[], b: readonly number[]): { u: number; p: number } {
  const all = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))].sort((x, y) => x.value - y.value);
  const n = all.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.value === all[i]!.value) j++;
    const rank = (i + j + 2) / 2;
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumA += rank;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u - (n1 * n2) / 2) / sigma;
  return { u, p: twoSided(z) };
}

// ---- the server and the requests --------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-timing-'));
const config = loadConfig({
  databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`,
  dataDir: dir,
  issuer: 'http://127.0.0.1:8080',
  logLevel: 'silent',
  throttleMaxFailuresPerClient: 1_000_000_000,
  throttleMaxFailuresPerAddress: 1_000_000_000,
});
const gatehouse = await openGatehouse(config);
await gatehouse.admin.keys.ensureActive(config.signingAlgorithm);
const app = await buildApp(gatehouse, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no port');
const port = address.port;

await gatehouse.admin.tenants.create({ slug: 'timing', accessTokenTtl: null });
const { client, secret } = await gatehouse.admin.clients.create({ tenant: 'timing', name: 'Timing', scope: 'documents:read', defaultScope: 'documents:read' });
if (secret === undefined) throw new Error('expected a confidential client');

const last = secret.at(-1)!;
const nearMiss = secret.slice(0, -1) + (last === 'A' ? 'B' : 'A');
const randomSecret = (): string => {
  const body = randomBytes(secret.length).toString('base64url').slice(0, secret.length - CLIENT_SECRET_PREFIX.length);
  return CLIENT_SECRET_PREFIX + body;
};
const unknownId = (): string => {
  const id = client.id.split('').map((c) => (/[a-z0-9]/i.test(c) ? 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]! : c)).join('');
  return id === client.id ? unknownId() : id;
};
const basic = (id: string, pass: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(pass)}`).toString('base64')}`;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const BODY = 'grant_type=client_credentials';

/** One token request; resolves to its latency in ns. Any answer but 401 is a setup error. */
function timeRequest(authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      { host: '127.0.0.1', port, path: '/oauth/token', method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': BODY.length, authorization } },
      (res) => {
        res.resume();
        res.on('end', () => {
          const elapsed = Number(process.hrtime.bigint() - started);
          if (res.statusCode !== 401) reject(new Error(`expected 401, got ${res.statusCode}`));
          else resolve(elapsed);
        });
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

interface Pair {
  name: string;
  a: { label: string; authorization: () => string };
  b: { label: string; authorization: () => string };
}

const pairs: Pair[] = [
  {
    name: 'secret',
    a: { label: `near-miss secret (first ${secret.length - 1} of ${secret.length} characters right)`, authorization: () => basic(client.id, nearMiss) },
    b: { label: 'random wrong secret (same length and prefix)', authorization: () => basic(client.id, randomSecret()) },
  },
  {
    name: 'client_id',
    a: { label: 'unknown client_id (same length)', authorization: () => basic(unknownId(), randomSecret()) },
    b: { label: 'known client_id', authorization: () => basic(client.id, randomSecret()) },
  },
];

const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
const pValue = (p: number): string => (p < 1e-300 ? '< 1e-300' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

console.log(`# Timing side channels at POST /oauth/token (${PER_ARM} requests per arm, interleaved; Node ${process.version})\n`);
let anySignificant = false;
try {
  for (const pair of pairs) {
    // Authorization headers are built before timing, so building them is not measured.
    const order = [...Array<boolean>(PER_ARM).fill(true), ...Array<boolean>(PER_ARM).fill(false)];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const headers = order.map((first) => (first ? pair.a : pair.b).authorization());
    for (let i = 0; i < WARMUP; i++) await timeRequest(headers[i % headers.length]!);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < order.length; i++) (order[i] ? a : b).push(await timeRequest(headers[i]!));

    const mw = mannWhitney(a, b);
    const w = welch(a, b);
    const significant = mw.p <= 0.01 || w.p <= 0.01;
    anySignificant ||= significant;
    console.log(`## ${pair.name}`);
    console.log(`  A: ${pair.a.label}: median ${us(median(a))}, mean ${us(mean(a))}`);
    console.log(`  B: ${pair.b.label}: median ${us(median(b))}, mean ${us(mean(b))}`);
    console.log(`  median(A) - median(B): ${us(median(a) - median(b))}`);
    console.log(`  Mann-Whitney U: p = ${pValue(mw.p)}   Welch's t: t = ${w.t.toFixed(2)}, df = ${w.df.toFixed(0)}, p = ${pValue(w.p)}`);
    console.log(`  => ${significant ? 'SIGNIFICANT difference (p <= 0.01): look closer, and re-run on a quiet machine' : 'no significant difference (p > 0.01)'}\n`);
  }
} finally {
  agent.destroy();
  await app.close();
  await gatehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = anySignificant ? 1 : 0;
