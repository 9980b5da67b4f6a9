import type { Client } from '../../core/types.js';

/** More clients than any deployment authenticates in a burst; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

/**
 * A revision of the clients as the database shows it: SQLite's `PRAGMA data_version`
 * (synchronous; undefined while the connection is inside a transaction, whose snapshot it
 * would show), or PostgreSQL's `clients` revision counter (a query).
 */
export type RevisionReader = () => number | undefined | Promise<number>;

/**
 * Client records kept in memory, never staler than the database.
 *
 * Every token request reads its client; through Kysely that read costs more than the
 * ES256 signature (docs/performance.md). The cache is exact, not time-based:
 *
 * - Other processes (the CLI rotating a secret, another server on the same database): a
 *   revision that changes whenever any connection commits a change to what `findClient`
 *   answers. SQLite: `PRAGMA data_version`, which changes on this connection whenever
 *   another connection commits to the file. PostgreSQL: the `clients` row of the counters
 *   table, bumped in the same transaction as every client change (and its tenant's slug,
 *   lifetime and disabled flag; repositories/clients.ts `bumpClientsRevision`, and
 *   triggers for writers outside the store). Any change empties the cache. Every lookup
 *   waits for a reading taken *after the lookup began*, so after its request was received:
 *   a change committed before a client sent its request is always seen, and a rotated or
 *   disabled client is refused at once. (PostgreSQL, READ COMMITTED: the reading's
 *   statement sees every transaction committed before it started.)
 * - Lookups that begin in the same turn of the event loop share one reading, taken in that
 *   turn's check phase (setImmediate), after the requests read by that turn's poll phase.
 *   Under load the reading (SQLite: a statement and three syscalls, ~8 µs; PostgreSQL: one
 *   round trip) is paid once per wave of requests instead of once per request, and the
 *   wave then runs its signatures and writes back to back (docs/performance.md, "Requests
 *   in waves"). A lookup that begins after a reading was taken (for PostgreSQL: sent)
 *   waits for the next one.
 * - A reading that fails (the database unreachable) fails every lookup waiting on it: the
 *   cache answers nothing it cannot prove current (→ StorageUnavailableError, 503).
 * - Inside a transaction of this connection data_version shows that transaction's
 *   snapshot, not the latest commit: the SQLite reader answers undefined then, and the
 *   reading is taken in a later turn, once the transaction has ended.
 * - This process: data_version ignores the connection's own commits, so the store calls
 *   `invalidate()` around each of its client writes. A read that raced such a write (or
 *   a reading that saw another process's commit) must not repopulate the cache with what
 *   it read before: it stores its result only if no invalidation happened while it ran.
 *   (A read that raced another process's commit may store what it read; the next lookup's
 *   own reading sees the commit and empties the cache.)
 * - PostgreSQL: one query at a time. Lookups that begin while one is on the wire wait for
 *   the next, sent once it has answered (every one of them began before that). Any revision
 *   other than the last one seen empties the cache.
 *
 * Cached records are frozen: callers share them.
 */
export class ClientCache {
  private readonly entries = new Map<string, Readonly<Client>>();
  private generation = 0;
  private revision: number;
  /** The reading that lookups begun in this turn wait for; undefined once it was taken. */
  private nextReading: Promise<void> | undefined;
  /** PostgreSQL: the query sent and not answered yet (one at a time). */
  private inFlight: Promise<void> | undefined;

  /** @param readRevision see RevisionReader; the first reading is taken by the first lookup. */
  constructor(private readonly readRevision: RevisionReader) {
    this.revision = Number.NaN;
  }

  async find(clientId: string, load: (clientId: string) => Promise<Client | undefined>): Promise<Client | undefined> {
    await this.readingAfterNow();
    const cached = this.entries.get(clientId);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const client = await load(clientId);
    // Unknown ids are not cached: they fail authentication and are throttled instead.
    if (client === undefined || generation !== this.generation) return client;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const frozen = freezeClient(client);
    this.entries.set(clientId, frozen);
    return frozen;
  }

  invalidate(): void {
    this.entries.clear();
    this.generation++;
  }

  /**
   * Resolves once the revision has been read after this call (the cache emptied if it
   * changed); rejects, for every lookup waiting on it, if the reading fails.
   */
  private readingAfterNow(): Promise<void> {
    this.nextReading ??= new Promise<void>((resolve, reject) => {
      const apply = (revision: number) => {
        if (revision !== this.revision) {
          this.revision = revision;
          this.invalidate();
        }
        resolve();
      };
      const take = () => {
        // One query at a time: the next is sent once the one on the wire has answered, and
        // serves every lookup begun until then (under load one query per round trip, not
        // one per turn piling up in the pool's queue).
        if (this.inFlight) return void this.inFlight.then(take);
        let reading: number | undefined | Promise<number>;
        try {
          reading = this.readRevision();
        } catch (error) {
          this.nextReading = undefined;
          reject(error);
          return;
        }
        // In a transaction: the lookups keep waiting, for a reading in a later turn.
        if (reading === undefined) return void setImmediate(take);
        // Taken (or sent): a lookup that begins from here on must wait for the next reading.
        this.nextReading = undefined;
        if (typeof reading === 'number') return apply(reading);
        const answered = reading.then(apply, reject).finally(() => {
          if (this.inFlight === answered) this.inFlight = undefined;
        });
        this.inFlight = answered;
      };
      setImmediate(take);
    });
    return this.nextReading;
  }
}

function freezeClient(client: Client): Client {
  Object.freeze(client.grantTypes);
  Object.freeze(client.scopes);
  Object.freeze(client.defaultScopes);
  Object.freeze(client.redirectUris);
  return Object.freeze(client);
}
