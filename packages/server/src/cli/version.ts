import { readFileSync } from 'node:fs';

/**
 * The server package's version, read from its package.json at run time: the file is two
 * levels above this module both in src/cli/ and in dist/cli/.
 */
export function readPackageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
