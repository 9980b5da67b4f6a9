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
 *   turn's check phase (setImmediate), after the requests read by that turn's poll phase.
 *   Under load the reading (a statement and three syscalls, ~8 µs) is paid once per wave
 *   of requests instead of once per request, and the wave then runs its signatures and
 *   writes back to back (docs/performance.md, "Requests in waves"). A lookup that begins
 *   after a reading was taken waits for the next one.
 * - Inside a transaction of this connection data_version shows that transaction's
 *   snapshot, not the latest commit: `readDataVersion` answers undefined then, and the
 *   reading is taken in a later turn, once the transaction has ended.
 * - This process: data_version ignores the connection's own commits, so the store calls
 *   `invalidate()` around each of its client writes. A read that raced such a write must
 *   not repopulate the cache with what it read before the write: it stores its result
 *   only if no invalidation happened while it ran. (A read that raced another process's
 *   commit may store what it read; the next lookup's own reading sees the commit and
 *   empties the cache.)
 *
 * Cached records are frozen: callers share them.
 */
export class ClientCache {
  private readonly entries = new Map<string, Readonly<Client>>();
  private generation = 0;
  private dataVersion: number;
  /** The reading that lookups begun in this turn wait for; undefined once it was taken. */
  private nextReading: Promise<void> | undefined;

  /**
   * @param readDataVersion SQLite's `PRAGMA data_version`, or undefined while the connection
   *   is inside a transaction (where it would show the transaction's snapshot).
   */
  constructor(private readonly readDataVersion: () => number | undefined) {
    this.dataVersion = readDataVersion() ?? Number.NaN;
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
   * Resolves once data_version has been read after this call (the cache emptied if it
   * changed); rejects, for every lookup waiting on it, if the reading fails.
   */
  private readingAfterNow(): Promise<void> {
    this.nextReading ??= new Promise<void>((resolve, reject) => {
      const take = () => {
        let version: number | undefined;
        try {
          version = this.readDataVersion();
        } catch (error) {
          this.nextReading = undefined;
          reject(error);
          return;
        }
        // In a transaction: the lookups keep waiting, for a reading in a later turn.
        if (version === undefined) return void setImmediate(take);
        // Taken: a lookup that begins from here on must wait for the next reading.
        this.nextReading = undefined;
        if (version !== this.dataVersion) {
          this.dataVersion = version;
          this.invalidate();
        }
        resolve();
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
