/**
 * The client-record cache (src/store/sql/client-cache.ts) must never answer with a record
 * older than the database: these tests drive it with a controllable revision (SQLite's
 * data_version, synchronous; PostgreSQL's clients revision, a query) and loader to pin
 * down the races the e2e tests cannot provoke on demand. The last suites run it on
 * PostgreSQL: changes made outside the store, tenant changes, an unreachable database.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { Client } from '../../packages/server/src/core/types.js';
import { ClientCache } from '../../packages/server/src/store/sql/client-cache.js';
import { openSqlStorage, type SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { POSTGRES_TARGET, STORAGE_TARGETS } from '../helpers/postgres.js';
import { closeFreshStorages, openFreshStorage, type FreshStorage } from '../helpers/storage.js';

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

describe('ClientCache with an asynchronous reading (PostgreSQL)', () => {
  /** A revision query the test answers by hand, in the order it likes. */
  function manualReader() {
    const pending: { resolve(value: number): void; reject(error: Error): void }[] = [];
    const read = () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    const settled = async () => {
      while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
      return pending.shift()!;
    };
    return { read, pending, settled };
  }

  it('lookups begun in the same turn share one query; a lookup begun after it was sent waits for the next, and sees what committed in between', async () => {
    const reader = manualReader();
    let stored = record('v1');
    let loads = 0;
    const load = async () => {
      loads++;
      return stored;
    };
    const cache = new ClientCache(reader.read);
    const first = cache.find('c1', load);
    (await reader.settled()).resolve(1);
    assert.equal((await first)?.secretDigest, 'v1');

    const wave = [cache.find('c1', load), cache.find('c1', load), cache.find('c1', load)];
    const sent = await reader.settled(); // the wave's query is on the wire…
    stored = record('v2'); // …another process commits, bumping the revision…
    const later = cache.find('c1', load); // …and a request arrives: it must not use the query already sent
    sent.resolve(1);
    assert.deepEqual((await Promise.all(wave)).map((c) => c?.secretDigest), ['v1', 'v1', 'v1'], 'the wave, which began before the commit, may get the cached record');
    assert.equal(loads, 1, 'one load for the first lookup only');
    assert.equal(reader.pending.length, 0);
    (await reader.settled()).resolve(2);
    assert.equal((await later)?.secretDigest, 'v2');
  });

  it('a failed query fails every lookup waiting on it, a cached client included; the next lookup queries again', async () => {
    const reader = manualReader();
    const cache = new ClientCache(reader.read);
    const load = async () => record('x');
    const warm = cache.find('c1', load);
    (await reader.settled()).resolve(1);
    await warm;
    const waiting = [cache.find('c1', load), cache.find('c1', load)];
    (await reader.settled()).reject(new Error('connect ECONNREFUSED'));
    assert.deepEqual(
      (await Promise.allSettled(waiting)).map((r) => r.status),
      ['rejected', 'rejected'],
      'no answer the cache cannot prove current',
    );
    const again = cache.find('c1', load);
    (await reader.settled()).resolve(1);
    assert.equal((await again)?.secretDigest, 'x');
  });

  it('one query at a time: lookups begun while one is on the wire share the next, sent once it has answered', async () => {
    const reader = manualReader();
    let stored = record('v1');
    const load = async () => stored;
    const cache = new ClientCache(reader.read);
    const a = cache.find('c1', load);
    const queryA = await reader.settled(); // sent at revision 1…
    stored = record('v2'); // …a commit…
    const later: Promise<Client | undefined>[] = [];
    for (let turn = 0; turn < 3; turn++) {
      later.push(cache.find('c1', load)); // …and requests in three later turns
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(reader.pending.length, 0, 'nothing more is sent while the first query is on the wire');
    queryA.resolve(1);
    assert.equal((await a)?.secretDigest, 'v2', 'the first lookup loads (the cache was empty), after the commit');
    (await reader.settled()).resolve(2);
    assert.deepEqual((await Promise.all(later)).map((c) => c?.secretDigest), ['v2', 'v2', 'v2'], 'one query, sent after they began, serves them all');
    assert.equal(reader.pending.length, 0);
  });

  it('a failed query does not hold back the next one', async () => {
    const reader = manualReader();
    const cache = new ClientCache(reader.read);
    const load = async () => record('x');
    const first = cache.find('c1', load);
    const query = await reader.settled();
    const second = cache.find('c1', load);
    await new Promise((resolve) => setImmediate(resolve));
    query.reject(new Error('connection terminated'));
    await assert.rejects(first);
    (await reader.settled()).resolve(1);
    assert.equal((await second)?.secretDigest, 'x');
  });
});

for (const target of STORAGE_TARGETS) {
  describe(`client cache on a storage (${target.name})`, { skip: target.skip }, () => {
    const opened: FreshStorage[] = [];
    after(() => closeFreshStorages(opened));

    async function fresh(): Promise<{ storage: SqlStorage; other: SqlStorage; client: Client; tenantSlug: string; url: string }> {
      const database = await openFreshStorage(target, { prefix: 'client-cache' });
      opened.push(database);
      const tenant = await database.storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      const client = await database.storage.clients.createClient({
        id: 'cache-client',
        tenantId: tenant.id,
        name: 'Cached',
        isPublic: false,
        secretDigest: 'digest-1',
        grantTypes: ['client_credentials'],
        scopes: ['documents:read'],
        defaultScopes: [],
        redirectUris: [],
        accessTokenTtl: null,
        resourceServer: false,
      });
      return { storage: database.storage, other: database.openAnother(), client, tenantSlug: tenant.slug, url: database.url };
    }

    it("another process's tenant changes reach findClient at once: lifetime, disable", async () => {
      const { storage, other, client, tenantSlug } = await fresh();
      assert.equal((await storage.clients.findClient(client.id))?.tenantAccessTokenTtl, null, 'now cached');
      await other.tenants.updateTenant(tenantSlug, { name: 'Acme', accessTokenTtl: 120 });
      assert.equal((await storage.clients.findClient(client.id))?.tenantAccessTokenTtl, 120);
      await other.tenants.setTenantDisabled(tenantSlug, true);
      assert.equal((await storage.clients.findClient(client.id))?.tenantDisabled, true);
    });

    it('a change written outside the store (SQL run by hand) reaches findClient at once', { skip: target.name !== 'postgres' && 'SQLite: data_version covers every writer' }, async () => {
      const { storage, client, url } = await fresh();
      assert.equal((await storage.clients.findClient(client.id))?.disabled, false, 'now cached');
      await sql(url, "update clients set disabled = 1 where id = 'cache-client'");
      assert.equal((await storage.clients.findClient(client.id))?.disabled, true);
      await sql(url, 'update tenants set disabled = 1');
      assert.equal((await storage.clients.findClient(client.id))?.tenantDisabled, true);
    });
  });
}

/** Runs `text` on a connection of its own to the PostgreSQL database at `url` (another writer). */
async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('client cache while PostgreSQL is unreachable', { skip: POSTGRES_TARGET.skip }, () => {
  it('a cached client is not answered (StorageUnavailableError, a 503), and is again once the database is back', async () => {
    const database = await POSTGRES_TARGET.create('');
    const target = new URL(database.url);
    // A TCP proxy between the storage and PostgreSQL, which the test cuts.
    const sockets = new Set<Socket>();
    const proxy = (): Server =>
      createServer((socket) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        socket.pipe(upstream).pipe(socket);
      });
    let server = proxy();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const proxied = new URL(database.url);
    proxied.host = `127.0.0.1:${port}`;
    const storage = openSqlStorage(proxied.href);
    try {
      await storage.migrate();
      const tenant = await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      const input = { id: 'outage-client', tenantId: tenant.id, name: 'C', isPublic: false, secretDigest: 'd', grantTypes: ['client_credentials' as const], scopes: [], defaultScopes: [], redirectUris: [], accessTokenTtl: null, resourceServer: false };
      await storage.clients.createClient(input);
      assert.equal((await storage.clients.findClient(input.id))?.id, input.id, 'now cached');

      await new Promise<void>((resolve) => server.close(() => resolve()) && sockets.forEach((s) => s.destroy()));
      await assert.rejects(storage.clients.findClient(input.id), StorageUnavailableError);

      server = proxy();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      assert.equal((await storage.clients.findClient(input.id))?.id, input.id);
    } finally {
      await storage.close();
      server.close();
      sockets.forEach((s) => s.destroy());
      await database.cleanup();
    }
  });
});
