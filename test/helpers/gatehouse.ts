import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config, type ConfigInput } from '../../packages/server/src/core/config.js';
import type { CreateClientInput } from '../../packages/server/src/core/admin/index.js';
import { buildApp } from '../../packages/server/src/server/app.js';
import { openGatehouse, type Gatehouse } from '../../packages/server/src/server/context.js';

export const TEST_ISSUER = 'http://127.0.0.1:8080';

export interface TestGatehouse {
  dir: string;
  config: Config;
  gatehouse: Gatehouse;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A fresh Gatehouse on its own SQLite file (or `databaseUrl`), with a signing key, served through fastify.inject. */
export async function createTestGatehouse(
  options: { databaseUrl?: string; config?: ConfigInput; clock?: () => number; /** What the mounted example app reads its settings from (default process.env). */ env?: NodeJS.ProcessEnv } = {},
): Promise<TestGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const config = loadConfig({
    databaseUrl: options.databaseUrl ?? `sqlite:${join(dir, 'gatehouse.db')}`,
    dataDir: dir,
    issuer: TEST_ISSUER,
    logLevel: 'silent',
    ...options.config,
  });
  const gatehouse = await openGatehouse(config, options.clock ? { clock: options.clock } : {});
  await gatehouse.admin.keys.ensureActive(config.signingAlgorithm);
  const app = await buildApp(gatehouse, { logger: false, env: options.env });
  return {
    dir,
    config,
    gatehouse,
    app,
    async close() {
      await app.close();
      await gatehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

/** RFC 6749 §2.3.1: form-urlencode id and secret, then Base64 "id:secret". */
export function basicAuth(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export const FORM = 'application/x-www-form-urlencoded';

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
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

/** The decoded payload of a JWT (no verification). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
