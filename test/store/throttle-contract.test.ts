import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { ThrottleStore } from '../../packages/server/src/core/storage.js';
import { MemoryThrottleStore } from '../../packages/server/src/store/memory/throttle.js';
import { RedisThrottleStore } from '../../packages/server/src/store/redis/throttle.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { sleep, waitFor } from '../helpers/timing.js';

const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL;

const targets: { name: string; skip: string | false; create(): ThrottleStore & { close?(): Promise<void> } }[] = [
  { name: 'memory', skip: false, create: () => new MemoryThrottleStore() },
  {
    name: 'redis',
    skip: REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set',
    // A random prefix per run keeps parallel test runs apart on the shared server.
    create: () => new RedisThrottleStore(REDIS_URL!, { prefix: `gatehouse-test:${randomBytes(6).toString('hex')}:`, fallback: false }),
  },
];

for (const target of targets) {
  describe(`ThrottleStore contract: ${target.name}`, { skip: target.skip }, () => {
    const store = target.skip ? undefined : target.create();
    after(() => store?.close?.());

    it('counts hits within a window and reports when it closes', async () => {
      const now = Date.now();
      assert.deepEqual(await store!.peek('k1', now), { count: 0, resetAt: now });
      const first = await store!.hit('k1', 10_000, now);
      assert.equal(first.count, 1);
      assert.ok(first.resetAt > now && first.resetAt <= now + 10_000);
      assert.equal((await store!.hit('k1', 10_000, now)).count, 2);
      const peeked = await store!.peek('k1', now);
      assert.equal(peeked.count, 2);
      assert.ok(peeked.resetAt > now);
    });

    it('keeps keys apart', async () => {
      const now = Date.now();
      await store!.hit('a', 10_000, now);
      assert.equal((await store!.peek('b', now)).count, 0);
    });

    it('starts a new window after the old one closes', async () => {
      await store!.hit('short', 200, Date.now());
      await store!.hit('short', 200, Date.now());
      await sleep(350);
      assert.equal((await store!.peek('short', Date.now())).count, 0);
      assert.equal((await store!.hit('short', 200, Date.now())).count, 1);
    });
  });
}

describe('RedisThrottleStore outage', () => {
  it('with fallback: false, reports an unreachable Redis as StorageUnavailableError, promptly', async () => {
    const store = new RedisThrottleStore('redis://127.0.0.1:1', { fallback: false });
    const started = Date.now();
    await assert.rejects(store.ready(), StorageUnavailableError);
    await assert.rejects(store.hit('k', 1000, Date.now()), StorageUnavailableError);
    await assert.rejects(store.peek('k', Date.now()), StorageUnavailableError);
    assert.ok(Date.now() - started < 10_000, 'no hang');
    await store.close();
  });

  it('by default counts in a per-process fallback while Redis is unreachable: ready() resolves, hits add up, and the failure is reported at most once every 10 s', async () => {
    const reported: unknown[] = [];
    const store = new RedisThrottleStore('redis://user:hunter2@127.0.0.1:1', { onError: (error) => reported.push(error) });
    const started = Date.now();
    await store.ready();
    const now = Date.now();
    for (let i = 1; i <= 5; i++) assert.deepEqual(await store.hit('k', 1000, now), { count: i, resetAt: now + 1000 }, 'counted, not waved through');
    assert.deepEqual(await store.peek('k', now), { count: 5, resetAt: now + 1000 });
    assert.deepEqual(await store.peek('other', now), { count: 0, resetAt: now });
    assert.equal(await store.available(), false);
    assert.ok(Date.now() - started < 5000, `fails fast (${Date.now() - started} ms)`);
    assert.equal(reported.length, 1, 'one report for the whole burst');
    assert.ok(reported[0] instanceof Error);
    assert.doesNotMatch(String((reported[0] as Error).message), /hunter2/, 'no secret in the report');
    await store.close();
  });
});

describe('RedisThrottleStore through an outage of a real Redis', { skip: REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set' }, () => {
  it('counts in Redis, then locally while Redis is cut off, then in Redis again once it is back', async () => {
    const target = new URL(REDIS_URL!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const prefix = `gatehouse-test:${randomBytes(6).toString('hex')}:`;
    // Two stores on one Redis: two server processes of a cluster.
    const a = new RedisThrottleStore(proxy.rewrite(REDIS_URL!), { prefix });
    const b = new RedisThrottleStore(proxy.rewrite(REDIS_URL!), { prefix });
    try {
      await Promise.all([a.ready(), b.ready()]);
      const now = Date.now();
      assert.equal((await a.hit('k', 60_000, now)).count, 1);
      assert.equal((await b.hit('k', 60_000, now)).count, 2, 'shared while Redis is up');

      await proxy.cut();
      // Each process counts on its own: the counts go on rising, never read 0.
      assert.deepEqual(
        [await a.hit('k', 60_000, now), await a.hit('k', 60_000, now), await b.hit('k', 60_000, now)].map((state) => state.count),
        [1, 2, 1],
      );
      assert.equal((await a.peek('k', now)).count, 2);
      assert.equal(await a.available(), false);

      await proxy.restore();
      await waitFor('store a to use Redis again', async () => ((await a.available()) ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
      await waitFor('store b to use Redis again', async () => ((await b.available()) ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
      assert.equal((await a.hit('k', 60_000, now)).count, 3, 'the shared count resumes where Redis left it');
      assert.equal((await b.peek('k', now)).count, 3);
    } finally {
      await a.close();
      await b.close();
      await proxy.close();
    }
  });
});

describe('RedisThrottleStore in a silent partition (a connection that stops answering without closing)', { skip: REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set' }, () => {
  it('waits out the command timeout once, then counts in the fallback without waiting for Redis again, and comes back when it answers', async () => {
    const target = new URL(REDIS_URL!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const store = new RedisThrottleStore(proxy.rewrite(REDIS_URL!), { prefix: `gatehouse-test:${randomBytes(6).toString('hex')}:` });
    try {
      await store.ready();
      const now = Date.now();
      assert.equal((await store.hit('k', 60_000, now)).count, 1);
      await proxy.cut('freeze');
      assert.equal((await store.hit('k', 60_000, now)).count, 1, 'the first hit waited out the command timeout (2 s), then counted locally');
      // Each further hit is answered well before a command timeout could have fired.
      for (let i = 2; i <= 5; i++) {
        const started = Date.now();
        assert.equal((await store.hit('k', 60_000, now)).count, i);
        assert.ok(Date.now() - started < 1000, `hit ${i} waited for the frozen Redis (${Date.now() - started} ms)`);
      }
      await proxy.restore();
      await waitFor('the store to use Redis again', async () => ((await store.available()) ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
      assert.equal((await store.hit('k', 60_000, now)).count, 2, 'the shared count resumes where Redis left it; the hits counted locally were not resent');
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('RedisThrottleStore availability', { skip: REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set' }, () => {
  it('answers available() when Redis answers', async () => {
    const store = new RedisThrottleStore(REDIS_URL!, { prefix: `gatehouse-test:${randomBytes(6).toString('hex')}:` });
    try {
      await store.ready();
      assert.equal(await store.available(), true);
      assert.equal((await store.hit('k', 1000, Date.now())).count, 1);
    } finally {
      await store.close();
    }
  });
});

describe('memory throttle bound', () => {
  it('drops the oldest windows past its key limit', async () => {
    const store = new MemoryThrottleStore(100);
    const now = Date.now();
    for (let i = 0; i < 150; i++) await store.hit(`k${i}`, 60_000, now);
    assert.equal((await store.peek('k0', now)).count, 0, 'oldest dropped');
    assert.equal((await store.peek('k149', now)).count, 1, 'newest kept');
  });
});
