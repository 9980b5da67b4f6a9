/**
 * Issue 15, cluster guarantees: a PostgreSQL outage under two running `gatehouse serve`
 * processes. A TCP proxy (helpers/tcp-proxy.ts) sits between the processes and
 * PostgreSQL; the test cuts it (every connection destroyed, new ones refused or
 * blackholed) and restores it.
 *
 * During the outage the token, authorization, introspection and revocation endpoints
 * answer 503 `temporarily_unavailable` with Retry-After: never invalid_client or
 * invalid_grant (that would tell a client its valid credentials are wrong), never
 * {"active":false} for a valid token (RFC 7662 §2.2 would have a resource server drop a
 * valid token), never a 200 for a revocation that did not happen (RFC 7009 §2.2), and no
 * SQL or stack in any body. A client served from an exact cache could still get a token
 * only if the cache proves it is current; a cache validated by reading PostgreSQL cannot
 * during an outage, so 503 it is. Once the proxy is restored every process serves again
 * within 15 s, without a restart, and nothing the refused requests asked for happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, startServer } from '../helpers/process.js';
import { getUrl, type HttpResult } from '../helpers/http.js';
import { issueCode, REDIRECT_URI } from '../helpers/user-delegation.js';
import { pkcePair } from '../helpers/tokens.js';
import { assertLogsHoldNone, CLUSTER_ISSUER, get, getToken, introspect, post, SKIP_CLUSTER, startCluster, within, type Cluster, type Credentials } from './cluster.js';

/** Longer than any wait of the server's own during an outage (pool connection 5 s, query 11 s). */
const OUTAGE_REQUEST_TIMEOUT_MS = 20_000;

/** Nothing a client may see of the backend: SQL, driver errors, addresses, stack frames. */
const LEAK = /select |insert |update |delete from|postgres|pg_|econnrefused|econnreset|etimedout|connection terminated|127\.0\.0\.1:\d|\bat [\w.<>]+ \(|\.js:\d+|\.ts:\d+|stack/i;

function assertUnavailable(response: HttpResult, what: string): void {
  assert.equal(response.status, 503, `${what}: expected 503, got ${response.status} ${response.text}`);
  assert.match(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, `${what}: Retry-After in whole seconds`);
  assert.doesNotMatch(response.text, LEAK, `${what}: the body shows backend detail: ${response.text}`);
  if (/^application\/json/.test(response.headers.get('content-type') ?? '')) {
    assert.equal(response.json?.error, 'temporarily_unavailable', `${what}: ${response.text}`);
    assert.equal(response.headers.get('cache-control'), 'no-store', what);
  } else {
    // The authorization endpoint talks to a browser: an error page, not JSON.
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/, what);
    assert.match(response.text, /temporarily unavailable/i, what);
  }
}

interface Fixture {
  client: Credentials;
  app: Credentials;
  /** A client_credentials token issued before the outage. */
  token: string;
  /** A refresh token issued before the outage. */
  refreshToken: string;
  /** An unredeemed code and its verifier, issued before the outage. */
  code: { code: string; verifier: string };
  userId: string;
}

describe('PostgreSQL outage under two gatehouse serve processes', { skip: SKIP_CLUSTER }, () => {
  let cluster: Cluster;
  let fixture: Fixture;
  /** The management listener (GATEHOUSE_MANAGEMENT_PORT) of each process, when this build has one. */
  const management: (string | undefined)[] = [];

  const servers = () => cluster.servers;

  before(async () => {
    const managementPorts = [await freePort(), await freePort()];
    cluster = await startCluster({ proxyPostgres: true, processes: 0, env: { GATEHOUSE_AUTHORIZATION_CODE_TTL: '600' } });
    // Started here rather than by startCluster: each process gets its own management port.
    for (const port of managementPorts) {
      cluster.servers.push(
        await startServer({
          db: cluster.postgresProxy!.rewrite(cluster.operator.config.databaseUrl),
          env: { ...cluster.env, GATEHOUSE_MANAGEMENT_PORT: String(port) },
          issuer: CLUSTER_ISSUER,
        }),
      );
      const url = `http://127.0.0.1:${port}`;
      const live = await getUrl(`${url}/health/live`).catch(() => undefined);
      management.push(live?.status === 200 ? url : undefined);
    }

    const { admin } = cluster.operator;
    await admin.tenants.create({ slug: 'acme' });
    const created = await admin.clients.create({ name: 'Integrator', tenant: 'acme', scope: 'documents:read' });
    const client = { clientId: created.client.id, secret: created.secret! };
    const delegated = await admin.clients.create({
      name: 'Signing app', tenant: 'acme', scope: 'documents:read', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI],
    });
    const app = { clientId: delegated.client.id, secret: delegated.secret! };
    const user = await admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' });
    const first = await issueCode(cluster.operator, { clientId: app.clientId, userId: user.id });
    const exchanged = await post(servers()[0]!, '/oauth/token', { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT_URI, code_verifier: first.verifier! }, app);
    assert.equal(exchanged.status, 200, exchanged.text);
    const code = await issueCode(cluster.operator, { clientId: app.clientId, userId: user.id });
    // Both processes have served the clients (and any cache they keep is warm) before the cut.
    for (const server of servers()) {
      await getToken(server, client);
      assert.equal((await introspect(server, client, await getToken(server, client))).active, true);
    }
    fixture = { client, app, token: await getToken(servers()[1]!, client), refreshToken: exchanged.json!.refresh_token as string, code: { code: code.code, verifier: code.verifier! }, userId: user.id };
  });
  after(() => cluster?.close());

  /** Every credential this file used: none may reach a log, outage errors included. */
  const used = (): string[] => [fixture.client.secret, fixture.app.secret, fixture.token, fixture.refreshToken, fixture.code.code, fixture.code.verifier, ...extra];
  const extra: string[] = [];

  /**
   * Every endpoint that needs the database answers 503, on every process. The requests go
   * out all at once: during a partition each one waits for the pool's connection timeout.
   */
  async function assertOutage(phase: string): Promise<void> {
    // Bounded by the server's own limits (pool connection timeout 5 s, query timeout 11 s).
    const t = OUTAGE_REQUEST_TIMEOUT_MS;
    const { client, app, token, refreshToken, code } = fixture;
    const checks: Promise<void>[] = [];
    const check = (what: string, response: Promise<HttpResult>) => checks.push(response.then((result) => assertUnavailable(result, what)));
    for (const [i, server] of servers().entries()) {
      const at = `${phase}, process ${i + 1}`;
      check(`${at}: client_credentials, right secret`, post(server, '/oauth/token', { grant_type: 'client_credentials' }, client, t));
      check(
        `${at}: client_credentials, client_secret_post`,
        post(server, '/oauth/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }, undefined, t),
      );
      check(`${at}: a wrong secret (not invalid_client)`, post(server, '/oauth/token', { grant_type: 'client_credentials' }, { ...client, secret: 'wrong' }, t));
      check(
        `${at}: a code exchange (not invalid_grant)`,
        post(server, '/oauth/token', { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier }, app, t),
      );
      check(`${at}: a refresh (not invalid_grant)`, post(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, app, t));
      check(`${at}: introspection of a valid token (not {"active":false})`, post(server, '/oauth/introspect', { token }, client, t));
      check(`${at}: a revocation that cannot happen (not 200)`, post(server, '/oauth/revoke', { token }, client, t));
      const authorize = new URL(`${server.url}/oauth/authorize`);
      authorize.search = new URLSearchParams({
        response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', state: 'xyz',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }).toString();
      check(
        `${at}: GET /oauth/authorize`,
        get(authorize.href, t),
      );
      check(`${at}: GET /healthz`, get(`${server.url}/healthz`, t));
      const ops = management[i];
      if (ops) {
        checks.push(get(`${ops}/health/ready`, t).then((response) => assert.equal(response.status, 503, `${at}: /health/ready`)));
        checks.push(getUrl(`${ops}/health/live`).then((response) => assert.equal(response.status, 200, `${at}: /health/live`)));
      }
    }
    const results = await Promise.allSettled(checks);
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).message ?? result.reason)] : []));
    assert.deepEqual(failures, [], `${failures.length} of ${checks.length} checks failed`);
  }

  it('before the cut, every process is healthy (and /health/ready is 200 where a management listener runs)', async (t) => {
    if (management.some((url) => url === undefined)) {
      // The listener (GATEHOUSE_MANAGEMENT_PORT) comes with the ops work of issue 15; until
      // this build has it, /healthz on the main port stands in for /health/ready.
      t.diagnostic('no management listener answered GET /health/live: its /health/ready and /health/live assertions are SKIPPED');
    }
    for (const [i, server] of servers().entries()) {
      assert.equal((await getUrl(`${server.url}/healthz`)).status, 200);
      const ops = management[i];
      if (ops) assert.equal((await getUrl(`${ops}/health/ready`)).status, 200);
    }
  });

  it('connections cut and refused: token, authorize, introspect, revoke and health answer 503 with Retry-After on both processes', async () => {
    await cluster.postgresProxy!.cut('refuse');
    await assertOutage('refused');
  });

  it('restored: every process serves again within 15 s without a restart, and nothing refused during the outage happened', async () => {
    await cluster.postgresProxy!.restore();
    const pids = servers().map((server) => server.pid);
    for (const server of servers()) {
      await within(`${server.url} issuing tokens again`, 15_000, async () => (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, fixture.client)).status === 200);
      assert.equal((await getUrl(`${server.url}/healthz`)).status, 200);
    }
    assert.deepEqual(servers().map((server) => server.pid), pids, 'the same processes');
    for (const server of servers()) assert.equal((await introspect(server, fixture.client, fixture.token)).active, true, 'the refused revocation did not happen');
    // The refused exchange and refresh spent nothing.
    const { app, code, refreshToken } = fixture;
    const exchanged = await post(servers()[1]!, '/oauth/token', { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier }, app);
    assert.equal(exchanged.status, 200, exchanged.text);
    const refreshed = await post(servers()[0]!, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, app);
    assert.equal(refreshed.status, 200, refreshed.text);
    extra.push(fixture.refreshToken, fixture.code.code, fixture.code.verifier, exchanged.json!.access_token as string, refreshed.json!.access_token as string);
    fixture.refreshToken = refreshed.json!.refresh_token as string;
    const next = await issueCode(cluster.operator, { clientId: app.clientId, userId: fixture.userId });
    fixture.code = { code: next.code, verifier: next.verifier! };
  });

  it('cut while requests are in flight: every answer is a success or a 503, never a 5xx of another kind or a 4xx about valid credentials', async () => {
    const { client, app } = fixture;
    const pairs = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const { code, verifier } = await issueCode(cluster.operator, { clientId: app.clientId, userId: fixture.userId });
        const response = await post(servers()[i % 2]!, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier! }, app);
        assert.equal(response.status, 200, response.text);
        extra.push(code, verifier!, response.json!.access_token as string, response.json!.refresh_token as string);
        return response.json!.refresh_token as string;
      }),
    );
    const inFlight: Promise<{ what: string; response: HttpResult }>[] = [];
    const send = (what: string, request: Promise<HttpResult>) => inFlight.push(request.then((response) => ({ what, response })));
    for (let i = 0; i < 40; i++) {
      const server = servers()[i % 2]!;
      send(`client_credentials #${i}`, post(server, '/oauth/token', { grant_type: 'client_credentials' }, client));
      if (i % 10 === 0) send(`refresh #${i / 10}`, post(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: pairs[i / 10]! }, app));
      if (i === 20) await cluster.postgresProxy!.cut('refuse');
      else if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const answers = await Promise.all(inFlight);
    const wrong = answers.filter(({ response }) => response.status !== 200 && response.status !== 503);
    assert.deepEqual(wrong.map(({ what, response }) => `${what}: ${response.status} ${response.text}`), []);
    for (const { what, response } of answers) {
      if (response.status === 503) assertUnavailable(response, what);
    }
    assert.ok(answers.some(({ response }) => response.status === 503), 'the cut was felt (else nothing was tested)');
    await cluster.postgresProxy!.restore();
    for (const server of servers()) {
      await within(`${server.url} issuing tokens again`, 15_000, async () => (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, client)).status === 200);
    }
  });

  it('blackholed (a partition: connections accepted, never answered): the same 503s, then recovery once restored', async () => {
    await cluster.postgresProxy!.cut('blackhole');
    await assertOutage('blackholed');
    await cluster.postgresProxy!.restore();
    for (const server of servers()) {
      await within(`${server.url} issuing tokens again`, 15_000, async () => (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, fixture.client)).status === 200);
      assert.equal((await introspect(server, fixture.client, fixture.token)).active, true);
    }
  });

  it('frozen (a silent partition: open connections stay open, nothing crosses): the same 503s, then recovery once restored', async () => {
    // Open connections in each process's pool, so the cut catches them mid-use.
    for (const server of servers()) await getToken(server, fixture.client);
    await cluster.postgresProxy!.cut('freeze');
    await assertOutage('frozen');
    await cluster.postgresProxy!.restore();
    for (const server of servers()) {
      await within(`${server.url} issuing tokens again`, 15_000, async () => (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, fixture.client)).status === 200);
    }
  });

  it('the logs of both processes, outage errors included, hold none of the secrets, tokens and codes used', () => {
    assertLogsHoldNone(cluster, used());
  });
});
