/**
 * The three packages as their users get them: the resource library and the integrator SDK
 * are packed (`npm pack`), installed from the tarball into an empty project and imported
 * there, with nothing of the server around them; the server package is checked with
 * `npm pack --dry-run` and imported from the workspace as its built code (installing its
 * tarball would compile better-sqlite3 on every run).
 *
 * `npm test` builds first (pretest), so dist/ is current; the packs skip `prepack` (the
 * build) for speed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/process.js';

const run = promisify(execFile);

interface PackedFile {
  path: string;
}

/** `npm pack --json` for one workspace package: the tarball's name and its files. */
async function pack(workspace: string, destination: string, dryRun = false): Promise<{ filename: string; files: string[] }> {
  const args = ['pack', '--json', '--ignore-scripts', '--workspace', workspace, '--pack-destination', destination, ...(dryRun ? ['--dry-run'] : [])];
  const { stdout } = await run('npm', args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [result] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
  assert.ok(result, `npm pack answered nothing for ${workspace}`);
  return { filename: result.filename, files: result.files.map((file) => file.path) };
}

/** An empty npm project in a temporary directory, with `tarball` installed into it. */
async function installInto(dir: string, tarball: string): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // The machine reaches the registry, and npm's cache already holds jose from the repository's install.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
}

/** The packages installed under node_modules (scoped ones counted one by one). */
function installedPackages(dir: string): string[] {
  const modules = join(dir, 'node_modules');
  return readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name]));
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0);
}

/** Runs an ES module in `dir` with plain node (no tsx, no source condition) and parses what it prints. */
async function evaluate(dir: string, source: string): Promise<unknown> {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  try {
    const { stdout } = await run(process.execPath, [file], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    return JSON.parse(stdout);
  } finally {
    rmSync(file, { force: true });
  }
}

describe('the packages as their users install them', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('@gatehouse-auth/resource installs from its tarball with jose as its only dependency, and verifies nothing without a key', async () => {
    const { filename, files } = await pack('packages/resource', scratch);
    for (const file of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts']) assert.ok(files.includes(file), `the tarball has ${file}`);
    assert.deepEqual(files.filter((file) => !file.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(file)), [], 'nothing but the build and its documents');
    const project = mkdtempSync(join(scratch, 'resource-'));
    await installInto(project, join(scratch, filename));
    assert.deepEqual(installedPackages(project).sort(), ['@gatehouse-auth/resource', 'jose']);
    const size = sizeOf(join(project, 'node_modules'));
    console.log(`# @gatehouse-auth/resource brings ${installedPackages(project).length} packages, ${(size / 1e6).toFixed(1)} MB`);

    const probe = (await evaluate(
      project,
      `import * as resource from '@gatehouse-auth/resource';
       const verifier = resource.createVerifier({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', keys: { getKey: async () => undefined } });
       const outcome = await verifier.verify({ url: '/documents', headers: { authorization: 'Bearer not-a-jwt' } }).then(() => 'accepted', (error) => error.name + ' ' + error.status);
       console.log(JSON.stringify({ exports: Object.keys(resource).sort(), outcome }));`,
    )) as { exports: string[]; outcome: string };
    for (const name of ['createVerifier', 'gatehouseResource', 'requireToken', 'BearerError', 'remoteKeySource', 'remoteRevocationSource', 'RevocationFollower']) {
      assert.ok(probe.exports.includes(name), `exports ${name}`);
    }
    assert.equal(probe.outcome, 'BearerError 401');
  });

  it('@gatehouse-auth/client installs from its tarball alone (no dependency at all) and builds a PKCE request', async () => {
    const { filename, files } = await pack('packages/client', scratch);
    for (const file of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts']) assert.ok(files.includes(file), `the tarball has ${file}`);
    const project = mkdtempSync(join(scratch, 'client-'));
    await installInto(project, join(scratch, filename));
    assert.deepEqual(installedPackages(project), ['@gatehouse-auth/client'], 'the SDK pulls in no other package');
    const size = sizeOf(join(project, 'node_modules'));
    console.log(`# @gatehouse-auth/client brings 1 package, ${(size / 1e6).toFixed(2)} MB`);

    const probe = (await evaluate(
      project,
      `import * as sdk from '@gatehouse-auth/client';
       const request = await sdk.createAuthorizationRequest({ authorizationEndpoint: 'https://auth.example.com/oauth/authorize', clientId: 'app', redirectUri: 'https://app.example.com/cb' });
       const url = new URL(request.url);
       console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), method: url.searchParams.get('code_challenge_method'), verifier: request.codeVerifier.length }));`,
    )) as { exports: string[]; method: string; verifier: number };
    for (const name of ['clientCredentials', 'createAuthorizationRequest', 'exchangeCode', 'refreshSession', 'TokenEndpointError']) {
      assert.ok(probe.exports.includes(name), `exports ${name}`);
    }
    assert.equal(probe.method, 'S256');
    assert.ok(probe.verifier >= 43);
  });

  it('@gatehouse-auth/server packs its CLI and build (no sources, no tests) and imports from the workspace', async () => {
    const { files } = await pack('packages/server', scratch, true);
    for (const file of ['package.json', 'LICENSE', 'README.md', 'bin/gatehouse.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']) {
      assert.ok(files.includes(file), `the tarball has ${file}`);
    }
    assert.deepEqual(files.filter((file) => file.startsWith('src/') || file.includes('test') || file.endsWith('.map') || file.endsWith('.source-digest')), []);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/server/package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    assert.equal(manifest.dependencies['@gatehouse-auth/resource'], JSON.parse(readFileSync(join(REPO_ROOT, 'packages/resource/package.json'), 'utf8')).version, 'versions in lockstep');
    // A consumer's install (`npm ci --omit=dev`) must not need the compiler: no install-time build.
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) assert.equal(manifest.scripts[hook], undefined, `no ${hook} script`);

    const probe = (await evaluate(
      REPO_ROOT,
      `const server = await import('@gatehouse-auth/server');
       const config = server.loadConfig({ port: 0, databaseUrl: 'sqlite::memory:' });
       let refused;
       try { server.loadConfig({ port: -1 }); } catch (error) { refused = error.name; }
       console.log(JSON.stringify({ exports: Object.keys(server).sort(), issuer: config.issuer, refused, resolved: import.meta.resolve('@gatehouse-auth/server') }));`,
    )) as { exports: string[]; issuer: string; refused: string; resolved: string };
    assert.match(probe.resolved, /packages\/server\/dist\/index\.js$/, 'plain node resolves the built code');
    for (const name of ['startServer', 'loadConfig', 'configFromEnv', 'OAuthError', 'ValidationError', 'runCli']) {
      assert.ok(probe.exports.includes(name), `exports ${name}`);
    }
    for (const internal of ['openGatehouse', 'buildApp', 'openSqlStorage']) assert.ok(!probe.exports.includes(internal), `${internal} stays internal`);
    assert.match(probe.issuer, /^http:\/\/127\.0\.0\.1/);
    assert.equal(probe.refused, 'ValidationError');
  });
});
