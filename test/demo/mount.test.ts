/**
 * How the server finds and mounts the demo document API (packages/server/src/server/mounts.ts):
 * an optional package loaded only when wanted, handed a DocumentApiHost, and a server that
 * runs without it when it is not installed.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import * as example from '@gatehouse-auth/example-document-api';
import { mintAccessToken } from '../../packages/server/src/core/access-token.js';
import { ValidationError } from '../../packages/server/src/core/errors.js';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { DOCUMENT_API_PACKAGE, mountDocumentApi, prepareDocumentApi, type DocumentApiModule, type PrepareOptions } from '../../packages/server/src/server/mounts.js';
import type { Gatehouse } from '../../packages/server/src/server/context.js';
import { startServer } from '../../packages/server/src/server/serve.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { createTenantClient } from './helpers.js';

// Type-level: the example's entry point is what the server expects of it (mounts.ts
// declares the shape instead of importing the optional package's types).
const exampleAsTheServerSeesIt: DocumentApiModule = example;

/** What `gatehouse serve` does: prepare (settings read, before the database opens), then mount. */
async function prepareAndMount(app: FastifyInstance, gatehouse: Pick<Gatehouse, 'config' | 'verifier' | 'services'>, options: PrepareOptions): Promise<boolean> {
  return mountDocumentApi(app, gatehouse, await prepareDocumentApi(gatehouse.config.issuer, options));
}

/** A Fastify app whose log lines are collected. */
function appWithLog(): { app: FastifyInstance; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { app: Fastify({ logger: { level: 'info', stream } }), lines };
}

const WARN = 40;
const INFO = 30;

describe('demo API: how the server mounts it', () => {
  let t: TestGatehouse;

  before(async () => {
    t = await createTestGatehouse({ env: { GATEHOUSE_DEMO_API: 'false' } });
  });
  after(() => t.close());

  it('finds the example by its package name, and its exports are what the server expects', async () => {
    assert.equal(DOCUMENT_API_PACKAGE, '@gatehouse-auth/example-document-api');
    const loaded = (await import(DOCUMENT_API_PACKAGE)) as DocumentApiModule;
    assert.equal(loaded.documentApi, exampleAsTheServerSeesIt.documentApi);
    assert.equal(typeof loaded.readDocumentApiSettings, 'function');
  });

  it('not installed: one log line, no /api routes, and the server runs on', async () => {
    // What Node says when the server's import finds no such package (checked below with a real import).
    const notInstalled = Object.assign(new Error(`Cannot find package '${DOCUMENT_API_PACKAGE}' imported from /srv/packages/server/dist/server/mounts.js`), { code: 'ERR_MODULE_NOT_FOUND' });
    const real = await import(`${DOCUMENT_API_PACKAGE}-not-installed`).catch((error: { code?: string; message: string }) => error);
    assert.equal(real.code, 'ERR_MODULE_NOT_FOUND');
    assert.match(real.message, /^Cannot find package '@gatehouse-auth\/example-document-api-not-installed' imported from /);
    for (const [env, level] of [
      [{}, INFO],
      [{ GATEHOUSE_DEMO_API: 'true' }, WARN],
    ] as const) {
      const { app, lines } = appWithLog();
      try {
        const mounted = await prepareAndMount(app, t.gatehouse, { env, load: () => Promise.reject(notInstalled) });
        assert.equal(mounted, false);
        assert.deepEqual(
          lines.map((line) => [line.level, line.msg]),
          [[level, 'the demo document API is not installed (@gatehouse-auth/example-document-api): serving without /api']],
        );
        assert.equal((await app.inject({ method: 'GET', url: '/api/files' })).statusCode, 404);
      } finally {
        await app.close();
      }
    }
  });

  it('a broken example (one of its own modules missing) stops the server instead of vanishing', async () => {
    const { app } = appWithLog();
    try {
      const broken = Object.assign(new Error("Cannot find module '/srv/examples/document-api/dist/routes.js' imported from /srv/examples/document-api/dist/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
      await assert.rejects(prepareAndMount(app, t.gatehouse, { env: {}, load: () => Promise.reject(broken) }), broken);
    } finally {
      await app.close();
    }
  });

  it('a package the example needs, missing, is a broken install: an error, not "not installed"', async () => {
    const { app, lines } = appWithLog();
    try {
      const broken = Object.assign(new Error("Cannot find package '@fastify/multipart' imported from /srv/examples/document-api/dist/routes.js"), { code: 'ERR_MODULE_NOT_FOUND' });
      await assert.rejects(prepareAndMount(app, t.gatehouse, { env: {}, load: () => Promise.reject(broken) }), broken);
      assert.deepEqual(lines, []);
    } finally {
      await app.close();
    }
  });

  it('gatehouse serve checks the GATEHOUSE_DEMO_* settings before it creates the database or the master key', async () => {
    const dir = createTempDir('gatehouse-demo-settings-');
    try {
      const config = loadConfig({ databaseUrl: dir.sqliteUrl, dataDir: dir.path, port: 0, logLevel: 'silent' });
      await assert.rejects(startServer(config, { logger: false, env: { GATEHOUSE_DEMO_API: 'maybe' } }), (error: unknown) => error instanceof ValidationError && /GATEHOUSE_DEMO_API/.test(error.message));
      assert.deepEqual(readdirSync(dir.path), [], 'nothing was created');
    } finally {
      dir.remove();
    }
  });

  it('not wanted (a public issuer by default, or GATEHOUSE_DEMO_API=false): the example is not even loaded', async () => {
    const publicIssuer = { ...t.gatehouse, config: loadConfig({ ...t.config, issuer: 'https://auth.example.com', audience: '' }) };
    const cases = [
      { gatehouse: publicIssuer, env: {} },
      { gatehouse: t.gatehouse, env: { GATEHOUSE_DEMO_API: 'off' } },
    ];
    for (const { gatehouse, env } of cases) {
      const { app } = appWithLog();
      try {
        const mounted = await prepareAndMount(app, gatehouse, { env, load: () => assert.fail('loaded although not wanted') });
        assert.equal(mounted, false);
      } finally {
        await app.close();
      }
    }
  });

  it('an invalid GATEHOUSE_DEMO_* value stops the server with a ValidationError naming the variable', async () => {
    for (const env of [{ GATEHOUSE_DEMO_API: 'maybe' }, { GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: 'lots' }]) {
      const { app } = appWithLog();
      try {
        await assert.rejects(prepareAndMount(app, t.gatehouse, { env }), (error: unknown) => error instanceof ValidationError && error.message.includes(Object.keys(env)[0]!));
      } finally {
        await app.close();
      }
    }
  });

  it('switched on for a non-loopback issuer, it is mounted and warns once', async () => {
    const publicIssuer = { ...t.gatehouse, config: loadConfig({ ...t.config, issuer: 'https://auth.example.com', audience: '' }) };
    const { app, lines } = appWithLog();
    try {
      assert.equal(await prepareAndMount(app, publicIssuer, { env: { GATEHOUSE_DEMO_API: 'true' } }), true);
      await app.ready();
      assert.equal(lines.filter((line) => line.level === WARN && /demo document API is on for a non-loopback issuer/.test(line.msg)).length, 1);
      assert.equal((await app.inject({ method: 'GET', url: '/api/files' })).statusCode, 401);
    } finally {
      await app.close();
    }
  });
});

describe('demo API: the host hook (the tenants a token may act for)', () => {
  let t: TestGatehouse;

  before(async () => {
    t = await createTestGatehouse();
  });
  after(() => t.close());

  it('a token for a tenant the server does not know: 404 on the file routes, and no tenant listed', async () => {
    const client = await createTenantClient(t.gatehouse, 'acme', 'Acme Corp');
    const found = await t.gatehouse.storage.clients.findClient(client.clientId);
    const { token } = await mintAccessToken(
      { client: found!, subject: client.clientId, scope: ['documents:read'], tenant: 'ghost', ttl: 300 },
      { keys: t.gatehouse.keys, config: t.config },
      Date.now(),
    );
    const files = await t.app.inject({ method: 'GET', url: '/api/files', headers: { authorization: `Bearer ${token}`, 'x-tenant': 'ghost' } });
    assert.equal(files.statusCode, 404, files.body);
    assert.deepEqual(files.json(), { error: 'not_found', error_description: 'the tenant of this access token does not exist', message: 'the tenant of this access token does not exist' });
    const tenants = await t.app.inject({ method: 'GET', url: '/api/tenants', headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(tenants.json(), { tenants: [] });
  });
});
