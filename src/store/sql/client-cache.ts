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
 *   committed a change to the database, and it is read before every lookup; any change
 *   empties the cache. A rotated or disabled client is therefore refused at once.
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

  constructor(private readonly readDataVersion: () => number) {
    this.dataVersion = readDataVersion();
  }

  async find(clientId: string, load: (clientId: string) => Promise<Client | undefined>): Promise<Client | undefined> {
    this.sync();
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
