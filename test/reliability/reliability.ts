/**
 * Issue 16, reliability: a deployment of real `gatehouse serve` processes (the compiled
 * dist/, helpers/process.ts) on a scratch database — SQLite in a temporary directory, or
 * a PostgreSQL database of its own, created here and dropped by close(). Setup (tenant,
 * clients, user, codes) and the database-level checks go through an in-process Gatehouse
 * on the same database and master key, as the CLI would; everything under test goes
 * through HTTP to the spawned process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { digestRefreshToken, refreshTokenDigestKey } from '../../packages/server/src/core/refresh-tokens.js';
import { openGatehouse, type Gatehouse } from '../../packages/server/src/server/context.js';
import { form, FORM, readResponse, type HttpResult } from '../helpers/http.js';
import { createTempPostgresDatabase } from '../helpers/postgres.js';
import { startServer, type ServerProcess } from '../helpers/process.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { basicAuth } from '../helpers/tokens.js';
import { issueCode, REDIRECT_URI } from '../helpers/user-delegation.js';

export const ISSUER = 'https://auth.gatehouse.test';

export interface Credentials {
  clientId: string;
  secret: string;
}

export interface Deployment {
  backend: 'sqlite' | 'postgres';
  /** The --db value of every process (the database itself, never a proxy, unless `db` was rewritten by the test). */
  databaseUrl: string;
  /** The SQLite file, for `PRAGMA integrity_check` (undefined on PostgreSQL). */
  sqliteFile: string | undefined;
  env: Record<string, string>;
  /** An in-process Gatehouse on the same database, opened on first use (until closeOperator()). */
  operator(): Promise<Gatehouse>;
  /** Closes the in-process Gatehouse (SQLite: before a process is started, so setup holds no lock). */
  closeOperator(): Promise<void>;
  start(db?: string): Promise<ServerProcess>;
  close(): Promise<void>;
}

export async function createDeployment(backend: 'sqlite' | 'postgres', prefix: string): Promise<Deployment> {
  const dir = createTempDir(prefix);
  const cleanups: (() => Promise<void> | void)[] = [() => dir.remove()];
  let databaseUrl: string;
  let sqliteFile: string | undefined;
  if (backend === 'postgres') {
    const database = await createTempPostgresDatabase();
    cleanups.push(() => database.drop());
    databaseUrl = database.url;
  } else {
    databaseUrl = dir.sqliteUrl;
    sqliteFile = dir.sqliteUrl.slice('sqlite:'.length);
  }
  const masterKeyFile = join(dir.path, 'master.key');
  const env = { GATEHOUSE_MASTER_KEY_FILE: masterKeyFile, GATEHOUSE_AUTHORIZATION_CODE_TTL: '600' };
  let gatehouse: Gatehouse | undefined;
  const servers: ServerProcess[] = [];
  const closeOperator = async () => {
    const open = gatehouse;
    gatehouse = undefined;
    await open?.close();
  };
  return {
    backend,
    databaseUrl,
    sqliteFile,
    env,
    async operator() {
      gatehouse ??= await openGatehouse(loadConfig({ databaseUrl, masterKeyFile, issuer: ISSUER, logLevel: 'silent' }));
      return gatehouse;
    },
    closeOperator,
    async start(db = databaseUrl) {
      const server = await startServer({ db, env, issuer: ISSUER });
      servers.push(server);
      return server;
    },
    async close() {
      await Promise.allSettled(servers.map((server) => server.stop()));
      await closeOperator().catch(() => {});
      for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
    },
  };
}

/** The clients and user of a deployment's tenant `acme`. */
export interface Fixture {
  /** authorization_code + refresh_token, no grace window. */
  app: Credentials;
  /** An operator client (admin API: rotate-secret). */
  operator: Credentials;
  userId: string;
}

export async function setUpTenant(gatehouse: Gatehouse): Promise<Fixture> {
  const { admin } = gatehouse;
  await admin.tenants.create({ slug: 'acme' });
  const created = await admin.clients.create({
    name: 'Signing app',
    tenant: 'acme',
    scope: 'documents:read',
    defaultScope: 'documents:read',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
  });
  const operator = await admin.operatorClients.create({ name: 'Automation' });
  const userId = (await admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' })).id;
  return { app: { clientId: created.client.id, secret: created.secret! }, operator: { clientId: operator.client.id, secret: operator.secret! }, userId };
}

/** `count` unredeemed codes for `app`, valid for ten minutes (they outlive a restart). */
export async function issueCodes(gatehouse: Gatehouse, fixture: Fixture, count: number): Promise<{ code: string; verifier: string }[]> {
  const codes: { code: string; verifier: string }[] = [];
  for (let i = 0; i < count; i++) {
    const issued = await issueCode(gatehouse, { clientId: fixture.app.clientId, userId: fixture.userId, expiresAt: Date.now() + 600_000 });
    codes.push({ code: issued.code, verifier: issued.verifier! });
  }
  return codes;
}


/** POST a form as `client` (HTTP Basic). Rejects when the connection breaks (the process was killed). */
export async function post(server: ServerProcess, path: string, body: Record<string, string>, client?: Credentials): Promise<HttpResult> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...(client ? { authorization: basicAuth(client.clientId, client.secret) } : {}) },
    body: form(body),
    signal: AbortSignal.timeout(30_000),
  });
  return readResponse(response);
}

export const exchange = (server: ServerProcess, client: Credentials, code: { code: string; verifier: string }) =>
  post(server, '/oauth/token', { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier }, client);

export const refresh = (server: ServerProcess, client: Credentials, token: string) => post(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token }, client);

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export function pairOf(response: HttpResult, what: string): TokenPair {
  assert.equal(response.status, 200, `${what}: ${response.status} ${response.text}`);
  return response.json as unknown as TokenPair;
}

export function assertInvalidGrant(response: HttpResult, what: string): void {
  assert.equal(response.status, 400, `${what}: ${response.status} ${response.text}`);
  assert.equal(response.json?.error, 'invalid_grant', `${what}: ${response.text}`);
}

/** The stored refresh token for `token` (its digest), read directly from the database. */
export async function storedRefreshToken(gatehouse: Gatehouse, token: string) {
  return gatehouse.storage.refreshTokens.findRefreshToken(digestRefreshToken(token, refreshTokenDigestKey(gatehouse.masterKey.key)));
}
