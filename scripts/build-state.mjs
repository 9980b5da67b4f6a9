// Whether a workspace package's dist/ was built from its current sources: `npm run build`
// records a digest of the sources in dist/.source-digest, and `npm start` compares it (a
// digest, not modification times, which copies and checkouts do not keep in order).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Workspace folders, in build order: the server and the example document API import the resource package. */
export const WORKSPACES = ['packages/resource', 'packages/client', 'packages/server', 'examples/document-api'];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

/** A digest of what the build of workspace `name` is made from: its sources and the compiler settings. */
export function sourceDigest(name) {
  const dir = join(ROOT, name);
  const inputs = [...files(join(dir, 'src')).sort(), join(dir, 'tsconfig.build.json'), join(ROOT, 'tsconfig.json')];
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const stampOf = (name) => join(ROOT, name, 'dist', '.source-digest');

/** Whether workspace `name` was ever built here (its digest is recorded). */
export function isBuilt(name) {
  return existsSync(stampOf(name));
}

export function isCurrent(name) {
  const stamp = stampOf(name);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceDigest(name);
}

export function recordBuild(name) {
  writeFileSync(stampOf(name), sourceDigest(name));
}
