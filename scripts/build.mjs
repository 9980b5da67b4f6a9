#!/usr/bin/env node
// `npm run build [-- <folder>...]`: compiles the workspace packages (all of them, or the
// folders named) in dependency order, and records what each build was made from
// (scripts/build-state.mjs), so `npm start` compiles only what changed.
import { spawnSync } from 'node:child_process';
import { recordBuild, ROOT, WORKSPACES } from './build-state.mjs';

const asked = process.argv.slice(2);
for (const folder of asked.length > 0 ? WORKSPACES.filter((workspace) => asked.includes(workspace)) : WORKSPACES) {
  const result = spawnSync('npm', ['run', 'build', '--silent', '--workspace', folder], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  recordBuild(folder);
}
