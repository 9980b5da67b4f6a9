#!/usr/bin/env node
// `npm start`: builds the packages only when their sources changed since the last build,
// then runs `gatehouse <args>` in this very process (package.json starts it with `exec`),
// so the SIGTERM a container runtime or systemd sends to `npm start` reaches the server's
// own graceful shutdown.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCurrent, PACKAGES, ROOT } from './build-state.mjs';

const stale = PACKAGES.filter((name) => !isCurrent(name));
if (stale.length > 0) {
  console.error(`building ${stale.join(', ')} (the sources changed since the last build) …`);
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('the build failed; a production install (npm ci --omit=dev) needs a tree built beforehand with `npm run build`');
    process.exit(build.status ?? 1);
  }
}

const { main } = await import(pathToFileURL(join(ROOT, 'packages/server/dist/cli/main.js')).href);
const code = await main([process.argv[0], 'gatehouse', ...process.argv.slice(2)]);
if (typeof code === 'number') process.exitCode = code;
