#!/usr/bin/env node
// `npm start`: compiles the workspace packages whose sources changed since their last build
// (or that were never built), then runs `gatehouse <args>` in this very process (package.json
// starts it with `exec`, no shell in between), so the SIGTERM a container runtime or systemd
// sends to `npm start` reaches the server's own graceful shutdown.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBuilt, isCurrent, ROOT, WORKSPACES } from './build-state.mjs';

const stale = WORKSPACES.filter((folder) => !isCurrent(folder));
if (stale.length > 0) {
  const why = stale.every((folder) => !isBuilt(folder)) ? 'not built yet' : 'the sources changed since the last build';
  console.error(`building ${stale.join(', ')} (${why}) …`);
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), ...stale], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('the build failed; a production install (npm ci --omit=dev) needs a tree built beforehand with `npm run build`');
    process.exit(build.status ?? 1);
  }
}

const { main } = await import(pathToFileURL(join(ROOT, 'packages/server/dist/cli/main.js')).href);
const code = await main([process.argv[0], 'gatehouse', ...process.argv.slice(2)]);
if (typeof code === 'number') process.exitCode = code;
