/**
 * Issue 15, cluster guarantees: a Redis outage under two `gatehouse serve` processes
 * sharing their throttle counters through it (a TCP proxy, helpers/tcp-proxy.ts, sits
 * in front of Redis). Everything keeps working; throttling falls back to each process
 * counting on its own (store/redis/throttle.ts), never to no throttling at all; once
 * Redis is back the counters are shared again, without a restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getUrl } from '../helpers/http.js';
import type { ServerProcess } from '../helpers/process.js';
import type { CutMode } from '../helpers/tcp-proxy.js';
import { REDIRECT_URI, issueCode } from '../helpers/user-delegation.js';
import { getToken, introspect, post, SKIP_REDIS_CLUSTER, startCluster, within, type Cluster, type Credentials } from './cluster.js';

/** Per-client limit 3; the per-address limit out of reach (every request here comes from 127.0.0.1). */
const LIMITS = { GATEHOUSE_THROTTLE_WINDOW: '60', GATEHOUSE_THROTTLE_MAX_FAILURES_PER_CLIENT: '3', GATEHOUSE_THROTTLE_MAX_FAILURES_PER_ADDRESS: '10000' };

/** A fresh unknown client id: its counters start at 0 (a shared Redis keeps runs apart). */
const freshId = () => `nobody-${randomBytes(6).toString('hex')}`;

describe('Redis outage under two gatehouse serve processes', { skip: SKIP_REDIS_CLUSTER }, () => {
  let cluster: Cluster;
  let client: Credentials;
  let app: Credentials;
  let userId: string;

  const A = () => cluster.servers[0]!;
  const B = () => cluster.servers[1]!;
  const fail = async (server: ServerProcess, clientId: string) =>
    (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, { clientId, secret: 'wrong' })).status;

  before(async () => {
    cluster = await startCluster({ redis: 'proxied', env: LIMITS });
    const { admin } = cluster.operator;
    await admin.tenants.create({ slug: 'acme' });
    const created = await admin.clients.create({ name: 'Integrator', tenant: 'acme', scope: 'documents:read' });
    client = { clientId: created.client.id, secret: created.secret! };
    const delegated = await admin.clients.create({
      name: 'Signing app', tenant: 'acme', scope: 'documents:read', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI],
    });
    app = { clientId: delegated.client.id, secret: delegated.secret! };
    userId = (await admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' })).id;
  });
  after(() => cluster?.close());

  /** What every integrator does keeps working on `server`. */
  async function everythingWorks(server: ServerProcess, other: ServerProcess): Promise<void> {
    const token = await getToken(server, client);
    assert.equal((await introspect(other, client, token)).active, true);
    const { code, verifier } = await issueCode(cluster.operator, { clientId: app.clientId, userId });
    const exchanged = await post(server, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier! }, app);
    assert.equal(exchanged.status, 200, exchanged.text);
    const refreshed = await post(other, '/oauth/token', { grant_type: 'refresh_token', refresh_token: exchanged.json!.refresh_token as string }, app);
    assert.equal(refreshed.status, 200, refreshed.text);
    const revoked = await post(server, '/oauth/revoke', { token }, client);
    assert.equal(revoked.status, 200, revoked.text);
    await within('the revocation seen by the other process', 2500, async () => (await introspect(other, client, token)).active === false);
    // A client of its own: its failures stay below the per-client limit however often this runs.
    const created = await cluster.operator.admin.clients.create({ name: 'Mistyped', tenant: 'acme', scope: 'documents:read' });
    const wrong = await post(server, '/oauth/token', { grant_type: 'client_credentials' }, { clientId: created.client.id, secret: 'wrong' });
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.json?.error, 'invalid_client');
  }

  /** Failures on A and B add up: the fourth is 429. */
  async function countedTogether(): Promise<void> {
    const id = freshId();
    assert.deepEqual([await fail(A(), id), await fail(B(), id), await fail(A(), id)], [401, 401, 401]);
    assert.equal(await fail(B(), id), 429, 'the fourth failure, counted across both processes');
  }

  it('with Redis up: everything works and failures on A and B add up', async () => {
    await everythingWorks(A(), B());
    await countedTogether();
  });

  for (const mode of ['refuse', 'blackhole', 'freeze'] as CutMode[]) {
    describe(`Redis ${{ refuse: 'refusing connections', blackhole: 'blackholed (a partition)', freeze: 'frozen (a silent partition)' }[mode]}`, () => {
      before(() => cluster.redisProxy!.cut(mode));

      it('everything keeps working on both processes; /healthz stays 200 and says Redis is unavailable', async () => {
        await everythingWorks(A(), B());
        await everythingWorks(B(), A());
        for (const server of [A(), B()]) {
          const health = await getUrl(`${server.url}/healthz`);
          assert.equal(health.status, 200, health.text);
          assert.deepEqual(health.json, { status: 'ok', redis: 'unavailable' });
        }
      });

      it('throttling goes on, each process counting on its own: three failures on each are 401, the fourth on each is 429', async () => {
        const id = freshId();
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push(await fail(A(), id), await fail(B(), id));
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401], 'not shared while Redis is down');
        assert.deepEqual([await fail(A(), id), await fail(B(), id)], [429, 429], 'not switched off either');
      });

      it('once Redis is back, both processes share the counters again within 15 s, without a restart', async () => {
        const pids = [A().pid, B().pid];
        await cluster.redisProxy!.restore();
        for (const server of [A(), B()]) {
          await within(`${server.url} to see Redis again`, 15_000, async () => {
            const health = await getUrl(`${server.url}/healthz`);
            return health.status === 200 && health.json?.redis === undefined;
          });
        }
        await countedTogether();
        await everythingWorks(A(), B());
        assert.deepEqual([A().pid, B().pid], pids);
      });
    });
  }
});
