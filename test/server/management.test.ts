/**
 * The management listener (docs/monitoring.md): /health/live, /health/ready and /metrics
 * on a port of their own, through real `startServer` listeners (port 0 for both).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type ConfigInput } from '../../packages/server/src/core/config.js';
import { createLifecycle } from '../../packages/server/src/server/lifecycle.js';
import { buildManagementApp } from '../../packages/server/src/server/management.js';
import { startServer, type RunningServer } from '../../packages/server/src/server/serve.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { createClient, TEST_ISSUER, type TestClient } from '../helpers/gatehouse.js';
import { createTempPostgresDatabase, SKIP_POSTGRES, type TempDatabase } from '../helpers/postgres.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { basicAuth } from '../helpers/tokens.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';
import { FORM, form } from '../helpers/http.js';

interface Started {
  server: RunningServer;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

async function start(input: ConfigInput = {}): Promise<Started> {
  let dir: TempDir | undefined = createTempDir('gatehouse-management-');
  const logs: Record<string, unknown>[] = [];
  const config = loadConfig({ databaseUrl: dir.sqliteUrl, dataDir: dir.path, host: '127.0.0.1', port: 0, managementPort: 0, issuer: TEST_ISSUER, ...input });
  const server = await startServer(config, { env: {}, logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } } });
  return {
    server,
    logs,
    async close() {
      await server.close();
      dir?.remove();
      dir = undefined;
    },
  };
}

function get(base: string, path: string): Promise<Response> {
  return fetch(new URL(path, base));
}

function tokenRequest(server: RunningServer, params: Record<string, string>, client?: TestClient): Promise<Response> {
  return fetch(new URL('/oauth/token', server.url), {
    method: 'POST',
    headers: { 'content-type': FORM, ...(client ? { authorization: basicAuth(client.clientId, client.secret) } : {}) },
    body: form(params),
  });
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (version 0.0.4): every sample line, every # TYPE family. */
function parseMetrics(text: string): { samples: Sample[]; families: Map<string, string> } {
  const samples: Sample[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    // Go's ParseFloat (Prometheus) reads NaN in any case; prom-client writes "Nan".
    const value = /^nan$/i.test(match[3]!) ? NaN : Number(match[3]);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(match[3]!), `not a number: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, families };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

async function scrape(server: RunningServer): Promise<{ text: string; samples: Sample[]; families: Map<string, string> }> {
  const response = await get(server.managementUrl!, '/metrics');
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, ...parseMetrics(text) };
}

describe('management listener: health', () => {
  let started: Started;
  before(async () => {
    started = await start();
  });
  after(async () => started?.close());

  it('listens on its own port, logs its URL, and the public port does not serve its endpoints', async () => {
    const { server, logs } = started;
    assert.ok(server.managementUrl, 'managementUrl is set');
    assert.notEqual(new URL(server.managementUrl).port, new URL(server.url).port);
    assert.equal(new URL(server.managementUrl).hostname, '127.0.0.1', 'bound to the host by default');
    assert.ok(logs.some((line) => line.management === server.managementUrl), 'the management URL is logged');
    assert.equal((await get(server.url, '/metrics')).status, 404);
    assert.equal((await get(server.url, '/health/ready')).status, 404);
  });

  it('GET /health/live answers 200', async () => {
    const response = await get(started.server.managementUrl!, '/health/live');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('GET /health/ready answers 200 when the database answers and a signing key is loaded', async () => {
    const response = await get(started.server.managementUrl!, '/health/ready');
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('GET /health/ready answers 503 naming "draining" while the server drains; live stays 200', async () => {
    const { server } = started;
    server.lifecycle.draining = true;
    try {
      const response = await get(server.managementUrl!, '/health/ready');
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 'unavailable', check: 'draining' });
      assert.equal((await get(server.managementUrl!, '/health/live')).status, 200);
    } finally {
      server.lifecycle.draining = false;
    }
    assert.equal((await get(server.managementUrl!, '/health/ready')).status, 200, 'ready again once no longer draining');
  });

  it('an unknown management path is a plain 404', async () => {
    const response = await get(started.server.managementUrl!, '/oauth/token');
    assert.equal(response.status, 404);
  });
});

describe('management listener: the database does not answer', () => {
  let started: Started;
  before(async () => {
    started = await start();
    await (started.server.gatehouse.storage as SqlStorage).db.destroy();
  });
  after(async () => started?.close());

  it('GET /health/ready answers 503 naming the database check, with no SQL, path or stack', async () => {
    const response = await get(started.server.managementUrl!, '/health/ready');
    assert.equal(response.status, 503);
    const body = await response.text();
    assert.deepEqual(JSON.parse(body), { status: 'unavailable', check: 'database' });
    assert.doesNotMatch(body, /sqlite|select|destroyed|at \w+ \(|\//i);
  });

  it('GET /health/live still answers 200', async () => {
    assert.equal((await get(started.server.managementUrl!, '/health/live')).status, 200);
  });

  it('the failed storage calls are counted as query errors', async () => {
    const { samples } = await scrape(started.server);
    const [errors] = find(samples, 'gatehouse_db_query_errors_total');
    assert.ok(errors && errors.value >= 1, `query errors: ${errors?.value}`);
  });
});

describe('management listener: readiness checks the signing key', () => {
  const logged: unknown[] = [];
  const log = { warn: (entry: unknown) => void logged.push(entry), error: (entry: unknown) => void logged.push(entry) } as unknown as Parameters<typeof buildManagementApp>[0]['log'];
  const registry = { metrics: async () => '', contentType: 'text/plain' } as unknown as Parameters<typeof buildManagementApp>[0]['metrics']['registry'];

  it('answers 503 naming signing_key when no signing key can be loaded, and logs the cause only', async () => {
    const problem = new Error('cannot unseal key k1 with /secret/path');
    const app = buildManagementApp({ health: async () => ({ status: 'no_signing_key', problem }), lifecycle: createLifecycle(), metrics: { registry }, log });
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'unavailable', check: 'signing_key' });
    assert.ok(logged.some((entry) => (entry as { err?: unknown }).err === problem), 'the cause is logged');
    await app.close();
  });

  it('answers 503 naming internal, without the error, when the check itself fails unexpectedly', async () => {
    const app = buildManagementApp({ health: async () => { throw new TypeError('boom at /srv/gatehouse/x.js:1'); }, lifecycle: createLifecycle(), metrics: { registry }, log });
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'unavailable', check: 'internal' });
    await app.close();
  });
});

describe('management listener: off unless set', () => {
  it('without managementPort no management listener is started', async () => {
    const started = await start({ managementPort: undefined });
    try {
      assert.equal(started.server.managementUrl, undefined);
      assert.ok(!started.logs.some((line) => 'management' in line));
    } finally {
      await started.close();
    }
  });
});

describe('GET /metrics', () => {
  let started: Started;
  let client: TestClient;
  let token: string;
  let refreshToken: string;
  let code: string;
  const wrongSecret = `gh_secret_wrong_${randomUUID()}`;
  const fileId = randomUUID();
  const password = 'correct horse battery staple';
  before(async () => {
    // A low per-client limit: the third failure in the window is throttled (429).
    started = await start({ throttleMaxFailuresPerClient: 2 });
    const { gatehouse } = started.server;
    client = await createClient(gatehouse, { grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
    const user = await gatehouse.admin.users.create({ tenant: client.tenant, username: 'metrics-alice', password });

    const issued = await tokenRequest(started.server, { grant_type: 'client_credentials' }, client);
    assert.equal(issued.status, 200);
    token = ((await issued.json()) as { access_token: string }).access_token;

    // Code exchange, then its replay; a refresh, then the reuse of the spent token.
    // Two grants: the replay revokes the first one's tokens, the second one's refresh token is reused.
    const replayed = await issueCode(gatehouse, { clientId: client.clientId, userId: user.id, tenants: [client.tenant] });
    code = replayed.code;
    assert.equal((await exchangeCode(started.server.app, client, code, { code_verifier: replayed.verifier })).statusCode, 200);
    assert.equal((await exchangeCode(started.server.app, client, code, { code_verifier: replayed.verifier })).statusCode, 400);
    const delegated = await issueCode(gatehouse, { clientId: client.clientId, userId: user.id, tenants: [client.tenant] });
    const exchanged = await exchangeCode(started.server.app, client, delegated.code, { code_verifier: delegated.verifier });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    refreshToken = (JSON.parse(exchanged.body) as TokenPair).refresh_token;
    assert.equal((await refresh(started.server.app, client, refreshToken)).statusCode, 200);
    assert.equal((await refresh(started.server.app, client, refreshToken)).statusCode, 400);

    // Failed client authentications: 401, 401, then 429 (throttled).
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await tokenRequest(started.server, { grant_type: 'client_credentials' }, { ...client, secret: wrongSecret })).status);
    assert.deepEqual(statuses, [401, 401, 429]);

    // A demo download link (a bearer link: its path must never be a label) and an unmatched path.
    await get(started.server.url, `/files/${fileId}/download`);
    await get(started.server.url, `/no-such-route/${fileId}`);
  });
  after(async () => started?.close());

  it('serves every gatehouse_* family, and the default process and Node.js metrics', async () => {
    const { families } = await scrape(started.server);
    const expected: Record<string, string> = {
      gatehouse_http_requests_total: 'counter',
      gatehouse_http_request_duration_seconds: 'histogram',
      gatehouse_tokens_issued_total: 'counter',
      gatehouse_client_authentication_failures_total: 'counter',
      gatehouse_throttled_requests_total: 'counter',
      gatehouse_refresh_token_reuse_total: 'counter',
      gatehouse_authorization_code_replay_total: 'counter',
      gatehouse_db_query_errors_total: 'counter',
      gatehouse_revocation_feed_lag_seconds: 'gauge',
      gatehouse_revocation_feed_revision: 'gauge',
      process_cpu_user_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(families.get(name), type, name);
  });

  it('counts tokens by grant type, failed client authentications, throttled requests, code replay and refresh-token reuse', async () => {
    const { samples } = await scrape(started.server);
    const value = (name: string, labels: Record<string, string> = {}) => find(samples, name, labels).reduce((sum, sample) => sum + sample.value, 0);
    assert.equal(value('gatehouse_tokens_issued_total', { grant_type: 'client_credentials' }), 1);
    assert.equal(value('gatehouse_tokens_issued_total', { grant_type: 'authorization_code' }), 2);
    assert.equal(value('gatehouse_tokens_issued_total', { grant_type: 'refresh_token' }), 1);
    assert.equal(value('gatehouse_client_authentication_failures_total'), 3);
    assert.equal(value('gatehouse_throttled_requests_total', { route: '/oauth/token' }), 1);
    assert.equal(value('gatehouse_authorization_code_replay_total'), 1);
    assert.equal(value('gatehouse_refresh_token_reuse_total'), 1);
    assert.equal(value('gatehouse_db_query_errors_total'), 0);
  });

  it('labels HTTP requests by route template and status class, never by the raw path', async () => {
    const { samples, text } = await scrape(started.server);
    const requests = (labels: Record<string, string>) => find(samples, 'gatehouse_http_requests_total', labels).reduce((sum, sample) => sum + sample.value, 0);
    assert.equal(requests({ method: 'POST', route: '/oauth/token', status_class: '2xx' }), 4);
    assert.equal(requests({ method: 'POST', route: '/oauth/token', status_class: '4xx' }), 5);
    assert.ok(requests({ method: 'GET', route: '/files/:uuid/download' }) >= 1, 'the download route is labelled by its template');
    assert.equal(requests({ method: 'GET', route: 'unmatched', status_class: '4xx' }), 1);
    const [bucket] = find(samples, 'gatehouse_http_request_duration_seconds_count', { method: 'POST', route: '/oauth/token', status_class: '2xx' });
    assert.equal(bucket?.value, 4);
    assert.ok(!text.includes(fileId), 'no raw path in any label');
    for (const sample of samples.filter((s) => s.name.startsWith('gatehouse_http_'))) assert.doesNotMatch(sample.labels.route ?? '', /[0-9a-f]{8}-/);
  });

  it('contains no secret, token, code, user name or client id (client labels are off by default)', async () => {
    const { text, samples } = await scrape(started.server);
    for (const secret of [client.secret, wrongSecret, token, refreshToken, code, password, 'metrics-alice', client.clientId, client.tenant]) {
      assert.ok(!text.includes(secret), `the metrics contain ${secret.slice(0, 12)}…`);
    }
    assert.equal(samples.filter((sample) => 'client_id' in sample.labels || 'tenant' in sample.labels).length, 0);
  });

  it('reports the revocation feed lag of this process\'s verifier (the demo document API) and of remote followers', async () => {
    const follower = await createClient(started.server.gatehouse, { resourceServer: true });
    const response = await fetch(new URL('/oauth/revocations?since=0', started.server.url), { headers: { authorization: basicAuth(follower.clientId, follower.secret) } });
    assert.equal(response.status, 200);
    const { revision } = (await response.json()) as { revision: number };
    const { samples } = await scrape(started.server);
    const [remote] = find(samples, 'gatehouse_revocation_feed_lag_seconds', { follower: 'remote' });
    assert.ok(remote && remote.value >= 0, 'remote lag reported');
    assert.equal(find(samples, 'gatehouse_revocation_feed_revision', { follower: 'remote' })[0]?.value, revision);
    // The demo document API's in-process verifier polls the store every 500 ms.
    const [local] = find(samples, 'gatehouse_revocation_feed_lag_seconds', { follower: 'document_api' });
    assert.ok(local && local.value >= 0, 'the in-process verifier\'s lag is reported');
  });

  it('reports no PostgreSQL pool on SQLite', async () => {
    const { samples } = await scrape(started.server);
    assert.equal(samples.filter((sample) => sample.name.startsWith('gatehouse_db_pool_')).length, 0);
  });
});

describe('GET /metrics with metricsClientLabels', () => {
  let started: Started;
  let client: TestClient;
  before(async () => {
    started = await start({ metricsClientLabels: true });
    client = await createClient(started.server.gatehouse);
    assert.equal((await tokenRequest(started.server, { grant_type: 'client_credentials' }, client)).status, 200);
    assert.equal((await tokenRequest(started.server, { grant_type: 'client_credentials' }, { ...client, secret: 'wrong' })).status, 401);
    // An unknown client's presented id is attacker-chosen: never a label.
    assert.equal((await tokenRequest(started.server, { grant_type: 'client_credentials' }, { ...client, clientId: 'made-up-client-id' })).status, 401);
  });
  after(async () => started?.close());

  it('labels tokens and failed authentications with the client id and tenant of known clients only', async () => {
    const { samples, text } = await scrape(started.server);
    assert.equal(find(samples, 'gatehouse_tokens_issued_total', { grant_type: 'client_credentials', client_id: client.clientId, tenant: client.tenant })[0]?.value, 1);
    assert.equal(find(samples, 'gatehouse_client_authentication_failures_total', { client_id: client.clientId, tenant: client.tenant })[0]?.value, 1);
    assert.equal(find(samples, 'gatehouse_client_authentication_failures_total', { client_id: '', tenant: '' })[0]?.value, 1);
    assert.ok(!text.includes('made-up-client-id'));
    assert.ok(!text.includes(client.secret));
  });
});

describe('GET /metrics on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let started: Started;
  before(async () => {
    database = await createTempPostgresDatabase();
    started = await start({ databaseUrl: database.url });
  });
  after(async () => {
    await started?.close();
    await database?.drop();
  });

  it('reports the pool\'s connections in use, idle and the requests waiting', async () => {
    const { samples, families } = await scrape(started.server);
    for (const name of ['gatehouse_db_pool_connections_in_use', 'gatehouse_db_pool_connections_idle', 'gatehouse_db_pool_waiting_requests']) {
      assert.equal(families.get(name), 'gauge', name);
      const [sample] = find(samples, name);
      assert.ok(sample && Number.isInteger(sample.value) && sample.value >= 0, name);
    }
    assert.ok(find(samples, 'gatehouse_db_pool_connections_idle')[0]!.value >= 1, 'the connections opened at start are idle in the pool');
  });

  it('GET /health/ready answers 200', async () => {
    assert.equal((await get(started.server.managementUrl!, '/health/ready')).status, 200);
  });
});
