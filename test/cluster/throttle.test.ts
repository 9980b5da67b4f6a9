/**
 * Issue 15, cluster guarantees: with GATEHOUSE_REDIS_URL the failed client
 * authentications made on one process count against the limits on the other; without it
 * each process counts alone (and the docs say so: core/config.ts redisUrl, README).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../packages/server/src/core/config.js';
import { REPO_ROOT, type ServerProcess } from '../helpers/process.js';
import { post, SKIP_CLUSTER, SKIP_REDIS_CLUSTER, startCluster, type Cluster } from './cluster.js';

/** Per-client limit 3; the per-address limit out of reach (every request here comes from 127.0.0.1). */
const LIMITS = { GATEHOUSE_THROTTLE_WINDOW: '60', GATEHOUSE_THROTTLE_MAX_FAILURES_PER_CLIENT: '3', GATEHOUSE_THROTTLE_MAX_FAILURES_PER_ADDRESS: '10000' };

/** A failed client_credentials request for `clientId` (unknown: a random id per run keeps runs apart on a shared Redis). */
const fail = async (server: ServerProcess, clientId: string) =>
  (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, { clientId, secret: 'wrong' })).status;

describe('throttling across two gatehouse serve processes with Redis', { skip: SKIP_REDIS_CLUSTER }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ redis: 'direct', env: LIMITS });
  });
  after(() => cluster?.close());

  it('failures on A and B add up: the fourth, wherever it lands, is answered 429', async () => {
    const [a, b] = cluster.servers as [ServerProcess, ServerProcess];
    const clientId = `nobody-${randomBytes(6).toString('hex')}`;
    assert.deepEqual([await fail(a, clientId), await fail(b, clientId), await fail(a, clientId)], [401, 401, 401]);
    assert.equal(await fail(b, clientId), 429, 'the fourth failure, counted across both processes');
    assert.equal(await fail(a, clientId), 429);
  });
});

describe('throttling across two gatehouse serve processes without Redis', { skip: SKIP_CLUSTER }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: LIMITS });
  });
  after(() => cluster?.close());

  it('each process counts alone: three failures on A and three on B are all 401; the fourth on each is 429', async () => {
    const [a, b] = cluster.servers as [ServerProcess, ServerProcess];
    const clientId = `nobody-${randomBytes(6).toString('hex')}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await fail(a, clientId), await fail(b, clientId));
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
    assert.deepEqual([await fail(a, clientId), await fail(b, clientId)], [429, 429]);
  });
});

describe('the documentation of throttling in a cluster', () => {
  it('says each process counts alone without Redis, and again while Redis is unreachable', () => {
    const description = configSchema.properties.redisUrl.description!;
    assert.match(description, /Without it each process counts on its own/);
    assert.match(description, /While Redis is unreachable each process counts on its own/);
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
    assert.match(readme, /Without\s+`GATEHOUSE_REDIS_URL` each server process counts on its own/);
    assert.match(readFileSync(`${REPO_ROOT}docs/configuration.md`, 'utf8'), /Without it each process counts on its own/);
  });
});
