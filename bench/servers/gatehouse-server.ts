// Bench contestant: `gatehouse serve` with the default SQLite store and a realistic database
// (BENCH_CLIENTS clients and as many live grants with a refresh token, default 10 000), or
// on the database BENCH_DATABASE_URL names (a scratch PostgreSQL database the harness
// created). BENCH_ALG=RS256 rotates to an RS256 key first.
// The database is seeded in bulk by bench/servers/scale-seed.ts in a child process, before this
// process opens it: the server starts on a populated database, as after a restart, and its
// RSS carries nothing of the seeding. With BENCH_SEEDED (the `SEEDED` JSON of a seeder the
// harness ran itself, e.g. bench/servers/scale-seed.ts) and BENCH_DIR, the database is
// already seeded: the server only opens it (and leaves BENCH_DIR to the harness).
// Prints `READY <port> <client_id> <client_secret>` when listening; with BENCH_GRANTS=1
// (the `grants` scenario) also `<grants client_id> <grants client_secret> <user id> <data dir>`,
// the data dir being where bench/servers/grants-seeder.ts finds the database and master key.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server/serve.js';
import type { Seeded } from './bench-data.js';
import { freePort } from './free-port.js';

const preseeded = process.env.BENCH_SEEDED;
if (preseeded && !process.env.BENCH_DIR) throw new Error('BENCH_SEEDED needs BENCH_DIR');
const dir = preseeded ? process.env.BENCH_DIR! : mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
/** The data of a database this process seeded is its own to remove. */
const removeDir = () => {
  if (!preseeded) rmSync(dir, { recursive: true, force: true });
};
const running: { seeding?: ChildProcess; server?: RunningServer } = {};
// Stopped at any point (even while seeding): stop the seeder, close the server, remove the data.
process.on('SIGTERM', () => {
  running.seeding?.kill('SIGTERM');
  void (running.server?.close() ?? Promise.resolve()).finally(() => {
    removeDir();
    process.exit(0);
  });
});

/** Runs scale-seed.ts on `dir` (as this script runs: compiled, or through tsx) and returns what it created. */
function seed(): Promise<Seeded> {
  const script = fileURLToPath(new URL(`./scale-seed${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const env = { ...process.env, BENCH_DIR: dir, BENCH_SCALE: process.env.BENCH_CLIENTS ?? '10000' };
  const child = spawn(process.execPath, [...process.execArgv, script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  running.seeding = child;
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      running.seeding = undefined;
      const line = output.split('\n').find((l) => l.startsWith('SEEDED '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('SEEDED '.length)) as Seeded);
      else reject(new Error(`scale-seed.ts exited with ${code}`));
    });
  });
}

let seeded: Seeded;
try {
  seeded = preseeded ? (JSON.parse(preseeded) as Seeded) : await seed();
} catch (error) {
  removeDir();
  throw error;
}

const port = await freePort();
const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'gatehouse.db')}`;
const config = loadConfig({ databaseUrl, dataDir: dir, port, logLevel: 'warn' });
// The token endpoint alone: no demo document API (examples/document-api) beside it.
process.env.GATEHOUSE_DEMO_API = 'false';
running.server = await startServer(config, { logger: { level: 'warn' } });
const extra = seeded.grants ? [seeded.grants.client.id, seeded.grants.client.secret, seeded.grants.userId, dir] : [];
console.log(['READY', port, seeded.client.id, seeded.client.secret, ...extra].join(' '));
