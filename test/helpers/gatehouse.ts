/**
 * In-process helpers: a Gatehouse built from a config and served through fastify.inject
 * (no port, no process). For a real `gatehouse serve` process, see process.ts.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config, type ConfigInput } from '../../packages/server/src/core/config.js';
import type { CreateClientInput } from '../../packages/server/src/core/admin/index.js';
import { buildApp } from '../../packages/server/src/server/app.js';
import { openGatehouse, type Gatehouse, type OpenOptions } from '../../packages/server/src/server/context.js';
import { FORM, form } from './http.js';
import { freePort } from './ports.js';
import { createTempDir } from './temp-dir.js';
import { basicAuth } from './tokens.js';


export const TEST_ISSUER = 'http://127.0.0.1:8080';

export interface TestApp {
  gatehouse: Gatehouse;
  app: FastifyInstance;
  /** Closes the app, then the Gatehouse. */
  close(): Promise<void>;
}

export interface TestAppOptions extends OpenOptions {
  /** Create a signing key (when there is none) before the app is built, so it serves from the start. */
  signingKey?: boolean;
  /** What the mounted example app reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Opens a Gatehouse on `config` and builds its Fastify app (quiet): `gatehouse serve` minus the port. */
export async function openTestApp(config: Config, options: TestAppOptions = {}): Promise<TestApp> {
  const { signingKey = false, env, ...openOptions } = options;
  const gatehouse = await openGatehouse(config, openOptions);
  if (signingKey) await gatehouse.admin.keys.ensureActive(config.signingAlgorithm);
  const app = await buildApp(gatehouse, { logger: false, env });
  return {
    gatehouse,
    app,
    async close() {
      await app.close();
      await gatehouse.close();
    },
  };
}

export interface TestGatehouse extends TestApp {
  dir: string;
  config: Config;
}

export interface TestGatehouseOptions {
  databaseUrl?: string;
  config?: ConfigInput;
  clock?: () => number;
  /** Create a signing key before the app is built (default true). */
  signingKey?: boolean;
  /** What the mounted example app reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long a write waits for a SQLite lock held elsewhere (OpenOptions.lockWaitMs; default the server's). */
  lockWaitMs?: number;
}

/** A fresh Gatehouse on its own SQLite file (or `databaseUrl`), with a signing key, served through fastify.inject. */
export async function createTestGatehouse(options: TestGatehouseOptions = {}): Promise<TestGatehouse> {
  const dir = createTempDir('gatehouse-test-');
  const config = loadConfig({
    databaseUrl: options.databaseUrl ?? dir.sqliteUrl,
    dataDir: dir.path,
    issuer: TEST_ISSUER,
    logLevel: 'silent',
    ...options.config,
  });
  const opened = await openTestApp(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }),
    signingKey: options.signingKey ?? true,
    env: options.env,
  });
  return {
    ...opened,
    dir: dir.path,
    config,
    async close() {
      await opened.close();
      dir.remove();
    },
  };
}

/**
 * A test Gatehouse listening on 127.0.0.1 at a free port, with the issuer that address names:
 * what a resource verifier discovers over real HTTP (metadata, JWKS). A port taken between
 * picking and listening is picked again.
 */
export async function createListeningGatehouse(): Promise<{ gatehouse: TestGatehouse; issuer: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const gatehouse = await createTestGatehouse({ config: { issuer, port } });
    try {
      await gatehouse.app.listen({ port, host: '127.0.0.1' });
      return { gatehouse, issuer };
    } catch (error) {
      await gatehouse.close();
      if (attempt >= 3) throw error;
    }
  }
}

export interface TestClient {
  clientId: string;
  secret: string;
  tenant: string;
}

let tenantCounter = 0;

/** Creates a tenant (unless `tenant` names an existing one) and a confidential client in it. */
export async function createClient(
  gatehouse: Gatehouse,
  input: Partial<CreateClientInput> & { tenantTtl?: number } = {},
): Promise<TestClient> {
  const tenant = input.tenant ?? `tenant-${++tenantCounter}-${Math.random().toString(36).slice(2, 8)}`;
  if (!(await gatehouse.storage.tenants.findTenantBySlug(tenant))) {
    await gatehouse.admin.tenants.create({ slug: tenant, accessTokenTtl: input.tenantTtl ?? null });
  }
  const { client, secret } = await gatehouse.admin.clients.create({
    name: 'Test client',
    scope: 'documents:read documents:write',
    defaultScope: 'documents:read',
    ...input,
    tenant,
  });
  if (secret === undefined) throw new Error('createClient helper creates confidential clients only');
  return { clientId: client.id, secret, tenant };
}

/** POST a form to an OAuth endpoint through fastify.inject. */
export function postForm(
  app: FastifyInstance,
  url: string,
  body: string | Record<string, string>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': FORM, ...headers },
    payload: typeof body === 'string' ? body : form(body),
  });
}

/** Gets a client_credentials token; fails the test on anything but 200. */
export async function getToken(app: FastifyInstance, client: TestClient, extra: Record<string, string> = {}): Promise<string> {
  const response = await postForm(app, '/oauth/token', { grant_type: 'client_credentials', ...extra }, { authorization: basicAuth(client.clientId, client.secret) });
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.statusCode} ${response.body}`);
  return (response.json() as { access_token: string }).access_token;
}

export async function introspect(app: FastifyInstance, caller: TestClient, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(app, '/oauth/introspect', { token }, { authorization: basicAuth(caller.clientId, caller.secret) });
  if (response.statusCode !== 200) throw new Error(`introspection failed: ${response.statusCode} ${response.body}`);
  return response.json() as Record<string, unknown>;
}
