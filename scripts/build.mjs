#!/usr/bin/env node
// `npm run build`: compiles the workspace packages in dependency order and records what
// each build was made from (scripts/build-state.mjs), so `npm start` compiles only when needed.
import { spawnSync } from 'node:child_process';
import { PACKAGES, recordBuild, ROOT } from './build-state.mjs';

for (const name of PACKAGES) {
  const result = spawnSync('npm', ['run', 'build', '--silent', '--workspace', name], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  recordBuild(name);
}
