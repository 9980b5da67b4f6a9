#!/usr/bin/env node
// `npm start`: builds the packages only when a source file is newer than its build, then
// runs `gatehouse <args>` in this very process, so the signal a container runtime or
// systemd sends to `npm start` (SIGTERM) reaches the server's own graceful shutdown.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['resource', 'client', 'server'];

/** The newest modification time (ms) of the files below `dir`, 0 when it has none. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** A package's build is current when dist/index.js is newer than every source file and its build settings. */
function isCurrent(name) {
  const dir = join(root, 'packages', name);
  const built = join(dir, 'dist', 'index.js');
  if (!existsSync(built)) return false;
  const sources = Math.max(newest(join(dir, 'src')), statSync(join(dir, 'tsconfig.build.json')).mtimeMs, statSync(join(root, 'tsconfig.json')).mtimeMs);
  return statSync(built).mtimeMs >= sources;
}

const stale = PACKAGES.filter((name) => !isCurrent(name));
if (stale.length > 0) {
  console.error(`building ${stale.join(', ')} (sources newer than the build) …`);
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { main } = await import(pathToFileURL(join(root, 'packages/server/dist/cli/main.js')).href);
const code = await main([process.argv[0], 'gatehouse', ...process.argv.slice(2)]);
if (typeof code === 'number') process.exitCode = code;
