import type { Client } from '../../core/types.js';

/** More clients than any deployment authenticates in a burst; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

/**
 * SQLite only: client records kept in memory, never staler than the database file.
 *
 * Every token request reads its client; through Kysely that read costs more than the
 * ES256 signature (docs/performance.md). The cache is exact, not time-based:
 *
 * - Other processes (the CLI rotating a secret, another server on the same file): SQLite's
 *   `PRAGMA data_version` changes on this connection whenever another connection has
 *   committed a change to the database; any change empties the cache. Every lookup waits
 *   for a reading of it taken *after the lookup began*, so after its request was received:
 *   a change committed before a client sent its request is always seen, and a rotated or
 *   disabled client is refused at once.
 * - Lookups that begin in the same turn of the event loop share one reading, taken in that
 *   turn's check phase (setImmediate), once the poll phase has read every request that
 *   arrived together. Under load the reading (a statement and three syscalls, ~8 µs) is
 *   paid once per wave of requests instead of once per request, and the wave then runs
 *   its signatures and writes back to back (docs/performance.md, "Requests in waves").
 *   A lookup that begins after a reading was taken waits for the next one.
 * - This process: data_version ignores the connection's own commits, so the store calls
 *   `invalidate()` around each of its client writes.
 * - A read that raced a change must not repopulate the cache with what it read before
 *   the change: it stores its result only if no invalidation happened while it ran.
 *
 * Cached records are frozen: callers share them.
 */
export class ClientCache {
  private readonly entries = new Map<string, Readonly<Client>>();
  private generation = 0;
  private dataVersion: number;
  /** The reading that lookups begun in this turn wait for; undefined once it was taken. */
  private nextReading: Promise<void> | undefined;

  constructor(private readonly readDataVersion: () => number) {
    this.dataVersion = readDataVersion();
  }

  async find(clientId: string, load: (clientId: string) => Promise<Client | undefined>): Promise<Client | undefined> {
    await this.readingAfterNow();
    const cached = this.entries.get(clientId);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const client = await load(clientId);
    this.sync();
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
   * Resolves once data_version has been read after this call (the cache emptied if it
   * changed); rejects, for every lookup waiting on it, if the reading fails.
   */
  private readingAfterNow(): Promise<void> {
    this.nextReading ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        // Taken from here on: a lookup that begins now must wait for the next reading.
        this.nextReading = undefined;
        try {
          this.sync();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.nextReading;
  }

  private sync(): void {
    const version = this.readDataVersion();
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      this.invalidate();
    }
  }
}

function freezeClient(client: Client): Client {
  Object.freeze(client.grantTypes);
  Object.freeze(client.scopes);
  Object.freeze(client.defaultScopes);
  Object.freeze(client.redirectUris);
  return Object.freeze(client);
}
