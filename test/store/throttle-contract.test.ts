import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { ThrottleStore } from '../../packages/server/src/core/storage.js';
import { MemoryThrottleStore } from '../../packages/server/src/store/memory/throttle.js';
import { RedisThrottleStore } from '../../packages/server/src/store/redis/throttle.js';
import { sleep } from '../helpers/timing.js';

const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL;

const targets: { name: string; skip: string | false; create(): ThrottleStore & { close?(): Promise<void> } }[] = [
  { name: 'memory', skip: false, create: () => new MemoryThrottleStore() },
  {
    name: 'redis',
    skip: REDIS_URL ? false : 'GATEHOUSE_TEST_REDIS_URL is not set',
    // A random prefix per run keeps parallel test runs apart on the shared server.
    create: () => new RedisThrottleStore(REDIS_URL!, { prefix: `gatehouse-test:${randomBytes(6).toString('hex')}:`, failOpen: false }),
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
  it('with failOpen: false, reports an unreachable Redis as StorageUnavailableError, promptly', async () => {
    const store = new RedisThrottleStore('redis://127.0.0.1:1', { failOpen: false });
    const started = Date.now();
    await assert.rejects(store.ready(), StorageUnavailableError);
    await assert.rejects(store.hit('k', 1000, Date.now()), StorageUnavailableError);
    await assert.rejects(store.peek('k', Date.now()), StorageUnavailableError);
    assert.ok(Date.now() - started < 10_000, 'no hang');
    await store.close();
  });

  it('by default fails open: ready() resolves, nothing is counted, and the failure is reported at most once every 10 s', async () => {
    const reported: unknown[] = [];
    const store = new RedisThrottleStore('redis://user:hunter2@127.0.0.1:1', { onError: (error) => reported.push(error) });
    const started = Date.now();
    await store.ready();
    const now = Date.now();
    for (let i = 0; i < 5; i++) assert.deepEqual(await store.hit('k', 1000, now), { count: 0, resetAt: now });
    assert.deepEqual(await store.peek('k', now), { count: 0, resetAt: now });
    assert.equal(await store.available(), false);
    assert.ok(Date.now() - started < 5000, `fails fast (${Date.now() - started} ms)`);
    assert.equal(reported.length, 1, 'one report for the whole burst');
    assert.ok(reported[0] instanceof Error);
    assert.doesNotMatch(String((reported[0] as Error).message), /hunter2/, 'no secret in the report');
    await store.close();
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
