#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx). The
// `@gatehouse-auth/source` condition makes the workspace packages import each other's
// TypeScript sources, so a test and the server it starts share one copy of each module.
// Usage: npm test [-- <file or folder filter>...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const files = find(join(root, 'test'))
  .sort()
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const services = [
  ['GATEHOUSE_TEST_POSTGRES_URL', 'PostgreSQL storage contract and cluster tests'],
  ['GATEHOUSE_TEST_REDIS_URL', 'Redis throttle-store contract tests'],
];
for (const [variable, what] of services) {
  if (!process.env[variable]) console.log(`# ${variable} is not set: the ${what} are SKIPPED (.ci/run sets it)`);
}
// test/e2e/browser.test.ts falls back to /usr/bin/chromium (Debian's package) when it exists.
if (!process.env.GATEHOUSE_TEST_BROWSER && !existsSync('/usr/bin/chromium')) {
  console.log('# GATEHOUSE_TEST_BROWSER is not set and /usr/bin/chromium does not exist: the real-browser end-to-end test is SKIPPED (.ci/run installs chromium and sets it)');
}

const result = spawnSync(
  process.execPath,
  ['--conditions=@gatehouse-auth/source', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
