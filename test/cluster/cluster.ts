/**
 * A Gatehouse cluster for tests: two (or more) real `gatehouse serve` processes (the
 * compiled dist/, see helpers/process.ts) on one scratch PostgreSQL database, created
 * here and dropped by close(); optionally Redis; optionally a TCP proxy in front of
 * either, so a test can cut it. Setup (tenants, clients, users, codes) goes through an
 * in-process Gatehouse on the same database and master key, as the CLI would.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { openGatehouse, type Gatehouse } from '../../packages/server/src/server/context.js';
import { form, FORM, readResponse, type HttpResult } from '../helpers/http.js';
import { createTempPostgresDatabase, POSTGRES_URL } from '../helpers/postgres.js';
import { startServer, type ServerProcess } from '../helpers/process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { basicAuth } from '../helpers/tokens.js';

export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL;

/** Why a cluster test cannot run here, or false. */
export const SKIP_CLUSTER = POSTGRES_URL ? false : 'GATEHOUSE_TEST_POSTGRES_URL is not set: the two-process PostgreSQL cluster tests are SKIPPED';
export const SKIP_REDIS_CLUSTER =
  SKIP_CLUSTER || (REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set: the cluster tests with Redis are SKIPPED');

/** Processes of one cluster sit behind one public URL: they share the issuer. */
export const CLUSTER_ISSUER = 'https://auth.gatehouse.test';
export const AUDIENCE = `${CLUSTER_ISSUER}/api`;

export interface ClusterOptions {
  /** How many `gatehouse serve` processes (default 2). */
  processes?: number;
  /** Put a TCP proxy between the processes and PostgreSQL (Cluster.postgresProxy). */
  proxyPostgres?: boolean;
  /** Give the processes GATEHOUSE_REDIS_URL: directly, or through a TCP proxy (Cluster.redisProxy). */
  redis?: 'direct' | 'proxied';
  /** More environment for every process (GATEHOUSE_* settings). */
  env?: Record<string, string>;
}

export interface Cluster {
  servers: ServerProcess[];
  /** The in-process Gatehouse on the same database (direct, never through a proxy). */
  operator: Gatehouse;
  /** The environment every process got. */
  env: Record<string, string>;
  postgresProxy: TcpProxy | undefined;
  redisProxy: TcpProxy | undefined;
  close(): Promise<void>;
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = createTempDir('gatehouse-cluster-');
  const database = await createTempPostgresDatabase();
  const cleanups: (() => Promise<void> | void)[] = [() => database.drop(), () => dir.remove()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  };
  try {
    const masterKeyFile = join(dir.path, 'master.key');
    // The operator's Gatehouse migrates the database and creates the master key file.
    const operator = await openGatehouse(loadConfig({ databaseUrl: database.url, masterKeyFile, issuer: CLUSTER_ISSUER, logLevel: 'silent' }));
    cleanups.push(() => operator.close());

    let db = database.url;
    let postgresProxy: TcpProxy | undefined;
    if (options.proxyPostgres) {
      postgresProxy = await startTcpProxy(hostPort(database.url, 5432));
      cleanups.push(() => postgresProxy!.close());
      db = postgresProxy.rewrite(database.url);
    }
    let redisProxy: TcpProxy | undefined;
    const env: Record<string, string> = { GATEHOUSE_MASTER_KEY_FILE: masterKeyFile, ...options.env };
    if (options.redis) {
      assert.ok(REDIS_URL, 'GATEHOUSE_TEST_REDIS_URL is not set');
      if (options.redis === 'proxied') {
        redisProxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
        cleanups.push(() => redisProxy!.close());
      }
      env.GATEHOUSE_REDIS_URL = redisProxy ? redisProxy.rewrite(REDIS_URL) : REDIS_URL;
    }

    const servers: ServerProcess[] = [];
    cleanups.push(() => Promise.allSettled(servers.map((server) => server.stop())).then(() => {}));
    // One after the other: the first creates the signing key, the others load it.
    for (let i = 0; i < (options.processes ?? 2); i++) servers.push(await startServer({ db, env, issuer: CLUSTER_ISSUER }));
    return { servers, operator, env, postgresProxy, redisProxy, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface Credentials {
  clientId: string;
  secret: string;
}

/** POST a form to `path` on `server`, as `client` (HTTP Basic) when given; fails after `timeoutMs` (default 10 s). */
export async function post(server: ServerProcess, path: string, body: Record<string, string>, client?: Credentials, timeoutMs = 10_000): Promise<HttpResult> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...(client ? { authorization: basicAuth(client.clientId, client.secret) } : {}) },
    body: form(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return readResponse(response);
}

/** GET `url`; fails after `timeoutMs`. */
export async function get(url: string, timeoutMs = 10_000): Promise<HttpResult> {
  return readResponse(await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' }));
}


/** A client_credentials token from `server`; fails the test on anything but 200. */
export async function getToken(server: ServerProcess, client: Credentials, extra: Record<string, string> = {}): Promise<string> {
  const response = await post(server, '/oauth/token', { grant_type: 'client_credentials', ...extra }, client);
  assert.equal(response.status, 200, `token request to ${server.url}: ${response.status} ${response.text}`);
  return response.json!.access_token as string;
}

/** The introspection answer of `server` for `token`, asked by `caller`; fails on anything but 200. */
export async function introspect(server: ServerProcess, caller: Credentials, token: string): Promise<Record<string, unknown>> {
  const response = await post(server, '/oauth/introspect', { token }, caller);
  assert.equal(response.status, 200, `introspection at ${server.url}: ${response.status} ${response.text}`);
  return response.json!;
}

/**
 * A `fetch` for a resource-server verifier whose issuer is CLUSTER_ISSUER: requests to the
 * issuer's URL go to `server` instead (what DNS and the load balancer do in production).
 */
export function fetchVia(server: ServerProcess): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    assert.ok(url.startsWith(CLUSTER_ISSUER), `the verifier fetched ${url}`);
    return fetch(server.url + url.slice(CLUSTER_ISSUER.length), init);
  };
}

/**
 * Polls `probe` until it returns true, failing after `deadlineMs` (a behavioural deadline
 * with slack for a loaded machine, not a benchmark).
 */
export async function within(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= deadline) assert.fail(`${what}: still not true after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * No secret, token or code the test used appears in any process's log (stdout and
 * stderr), whole or in part (the random part after a prefix; a JWT's signature).
 */
export function assertLogsHoldNone(cluster: Cluster, secrets: Iterable<string>): void {
  const logs = cluster.servers.map((server) => server.stdout() + server.stderr());
  let checked = 0;
  for (const secret of secrets) {
    const parts = [secret, secret.replace(/^gatehouse_[a-z]+_/, ''), secret.split('.')[2] ?? ''].filter((part) => part.length >= 16);
    for (const [i, log] of logs.entries()) {
      for (const part of parts) assert.ok(!log.includes(part), `the log of process ${i + 1} contains a secret, token or code the test used`);
    }
    checked += 1;
  }
  assert.ok(checked > 0 && logs.every((log) => log.length > 0), 'something was checked');
}
