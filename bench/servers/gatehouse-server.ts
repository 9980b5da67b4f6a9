// Bench contestant: `gatehouse serve` with the default SQLite store and a realistic database
// (BENCH_CLIENTS clients, default 10 000). BENCH_ALG=RS256 rotates to an RS256 key first.
// The database is seeded by bench/servers/gatehouse-seed.ts in a child process, before this
// process opens it: the server starts on a populated database, as after a restart, and its
// RSS carries nothing of the seeding.
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

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const running: { seeding?: ChildProcess; server?: RunningServer } = {};
// Stopped at any point (even while seeding): stop the seeder, close the server, remove the data.
process.on('SIGTERM', () => {
  running.seeding?.kill('SIGTERM');
  void (running.server?.close() ?? Promise.resolve()).finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});

/** Runs gatehouse-seed.ts on `dir` (as this script runs: compiled, or through tsx) and returns what it created. */
function seed(): Promise<Seeded> {
  const script = fileURLToPath(new URL(`./gatehouse-seed${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script], { env: { ...process.env, BENCH_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  running.seeding = child;
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      running.seeding = undefined;
      const line = output.split('\n').find((l) => l.startsWith('SEEDED '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('SEEDED '.length)) as Seeded);
      else reject(new Error(`gatehouse-seed.ts exited with ${code}`));
    });
  });
}

let seeded: Seeded;
try {
  seeded = await seed();
} catch (error) {
  rmSync(dir, { recursive: true, force: true });
  throw error;
}

const port = await freePort();
const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`, port, logLevel: 'warn' });
// The token endpoint alone: no demo document API (examples/document-api) beside it.
process.env.GATEHOUSE_DEMO_API = 'false';
running.server = await startServer(config, { logger: { level: 'warn' } });
const extra = seeded.grants ? [seeded.grants.client.id, seeded.grants.client.secret, seeded.grants.userId, dir] : [];
console.log(['READY', port, seeded.client.id, seeded.client.secret, ...extra].join(' '));
