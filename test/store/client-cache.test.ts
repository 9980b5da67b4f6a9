/**
 * The SQLite client-record cache (src/store/sql/client-cache.ts) must never answer with a
 * record older than the database: these tests drive it with a controllable data_version
 * and loader to pin down the races the e2e tests cannot provoke on demand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../packages/server/src/core/types.js';
import { ClientCache } from '../../packages/server/src/store/sql/client-cache.js';

function record(secretDigest: string): Client {
  return { id: 'c1', secretDigest, scopes: ['documents:read'], grantTypes: ['client_credentials'], defaultScopes: [], redirectUris: [] } as unknown as Client;
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ClientCache', () => {
  it('serves a found client from memory until the data version changes, then reads the database again', async () => {
    let version = 1;
    let loads = 0;
    let stored = record('old');
    const cache = new ClientCache(() => version);
    const load = async () => {
      loads++;
      return stored;
    };
    assert.equal((await cache.find('c1', load))?.secretDigest, 'old');
    assert.equal((await cache.find('c1', load))?.secretDigest, 'old');
    assert.equal(loads, 1, 'the second lookup is served from memory');

    stored = record('new'); // another process commits…
    version = 2; // …and SQLite reports it
    assert.equal((await cache.find('c1', load))?.secretDigest, 'new');
    assert.equal(loads, 2);
  });

  it('does not cache unknown clients', async () => {
    let loads = 0;
    const cache = new ClientCache(() => 1);
    const load = async () => {
      loads++;
      return undefined;
    };
    assert.equal(await cache.find('nobody', load), undefined);
    assert.equal(await cache.find('nobody', load), undefined);
    assert.equal(loads, 2);
  });

  it('a lookup that raced an invalidation does not store what it read before the change', async () => {
    const cache = new ClientCache(() => 1);
    const inFlight = deferred<Client>();
    const loading = deferred<void>();
    const racing = cache.find('c1', () => {
      loading.resolve();
      return inFlight.promise;
    });
    await loading.promise;
    cache.invalidate(); // this process rotated the secret while the read was in flight
    inFlight.resolve(record('read-before-rotation'));
    assert.equal((await racing)?.secretDigest, 'read-before-rotation', 'the racing caller gets what it read');
    assert.equal((await cache.find('c1', async () => record('after-rotation')))?.secretDigest, 'after-rotation', 'the next caller reads again');
  });

  it('a commit by another process while a lookup was loading: the next lookup does not get what that lookup read', async () => {
    let version = 1;
    const cache = new ClientCache(() => version);
    const inFlight = deferred<Client>();
    const loading = deferred<void>();
    const racing = cache.find('c1', () => {
      loading.resolve();
      return inFlight.promise;
    });
    await loading.promise;
    version = 2;
    inFlight.resolve(record('maybe-stale'));
    await racing;
    assert.equal((await cache.find('c1', async () => record('fresh')))?.secretDigest, 'fresh');
  });

  it('lookups begun in the same turn share one data_version reading; a later lookup waits for a new one', async () => {
    let readings = 0;
    const cache = new ClientCache(() => {
      readings++;
      return 1;
    });
    const load = async () => record('x');
    await cache.find('c1', load); // the first lookup loads and caches
    readings = 0;
    const wave = await Promise.all(Array.from({ length: 20 }, () => cache.find('c1', load)));
    assert.equal(wave.length, 20);
    assert.equal(readings, 1, 'twenty lookups begun together wait for one reading');
    await cache.find('c1', load);
    assert.equal(readings, 2, 'a lookup begun after that reading waits for a new one');
  });

  it('lookups begun in separate callbacks of one event-loop phase (as the requests of one poll phase are) share one reading', async () => {
    let readings = 0;
    const cache = new ClientCache(() => {
      readings++;
      return 1;
    });
    const load = async () => record('x');
    await cache.find('c1', load);
    readings = 0;
    // Two callbacks of one check phase, each followed by its own microtasks (as each socket
    // callback of a poll phase is): a reading scheduled per callback would make two.
    const lookups = await new Promise<Promise<Client | undefined>[]>((resolve) => {
      const started: Promise<Client | undefined>[] = [];
      setImmediate(() => started.push(cache.find('c1', load)));
      setImmediate(() => {
        started.push(cache.find('c1', load));
        resolve(started);
      });
    });
    await Promise.all(lookups);
    assert.equal(readings, 1);
  });

  it('while the connection is inside a transaction, lookups wait for a reading taken after it', async () => {
    let inTransaction = true;
    let version = 1;
    let stored = record('old');
    let readings = 0;
    const cache = new ClientCache(() => {
      readings++;
      return inTransaction ? undefined : version;
    });
    const load = async () => stored;
    inTransaction = false;
    assert.equal((await cache.find('c1', load))?.secretDigest, 'old');

    inTransaction = true; // a transaction of this connection stays open across turns…
    stored = record('new'); // …while another process commits
    version = 2;
    readings = 0;
    let answered = false;
    const lookup = cache.find('c1', load).then((client) => ((answered = true), client));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(answered, false, 'no answer from the cache while data_version cannot be read');
    assert.ok(readings > 1, 'the reading is tried again in later turns');
    inTransaction = false;
    assert.equal((await lookup)?.secretDigest, 'new');
  });

  it('a lookup never uses a data_version reading taken before it began', async () => {
    let version = 1;
    let stored = record('v1');
    const cache = new ClientCache(() => version);
    const load = async () => stored;
    const commit = (digest: string) => {
      stored = record(digest); // another process commits…
      version++; // …and SQLite reports it
    };
    assert.equal((await cache.find('c1', load))?.secretDigest, 'v1');

    // In one turn: a lookup begins, another process commits, another request arrives.
    const before = cache.find('c1', load);
    commit('v2');
    const after = cache.find('c1', load);
    assert.equal((await after)?.secretDigest, 'v2', 'the turn\'s reading is taken after every lookup that waits for it');
    assert.equal((await before)?.secretDigest, 'v2');

    // Once a reading has been taken, a lookup begun later in the same turn waits for the next.
    const first = cache.find('c1', load);
    const later = new Promise<Client | undefined>((resolve, reject) => {
      setImmediate(() => {
        // Queued after the cache's setImmediate: its reading has been taken by now.
        commit('v3');
        cache.find('c1', load).then(resolve, reject);
      });
    });
    assert.equal((await first)?.secretDigest, 'v2');
    assert.equal((await later)?.secretDigest, 'v3');
  });

  it('a failed reading fails every lookup waiting on it; the next lookup reads again', async () => {
    let failing = false;
    const cache = new ClientCache(() => {
      if (failing) throw new Error('disk I/O error');
      return 1;
    });
    const load = async () => record('x');
    await cache.find('c1', load);
    failing = true;
    const results = await Promise.allSettled([cache.find('c1', load), cache.find('c1', load)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
      'no lookup is answered from the cache without a reading',
    );
    failing = false;
    assert.equal((await cache.find('c1', load))?.secretDigest, 'x');
  });

  it('hands out frozen records, so no caller can change what the next one sees', async () => {
    const cache = new ClientCache(() => 1);
    const client = await cache.find('c1', async () => record('x'));
    assert.ok(Object.isFrozen(client) && Object.isFrozen(client!.scopes));
    assert.throws(() => (client!.scopes as string[]).push('admin'));
  });
});
