import { AdminService } from '../core/admin.js';
import type { Config } from '../core/config.js';
import { KeyRing } from '../core/keys.js';
import { deriveKey } from '../core/secrets.js';
import type { Storage, ThrottleStore } from '../core/storage.js';
import { MemoryThrottleStore } from '../store/memory/throttle.js';
import { RedisThrottleStore } from '../store/redis/throttle.js';
import { openSqlStorage } from '../store/sql/index.js';
import { loadOrCreateMasterKey, type MasterKey } from './master-key.js';

/** Everything a running Gatehouse (server or CLI command) works with. */
export interface Gatehouse {
  config: Config;
  storage: Storage;
  keys: KeyRing;
  admin: AdminService;
  throttle: ThrottleStore;
  digestKey: Buffer;
  masterKey: MasterKey;
  /** Migrations applied by this open (empty when the schema was current). */
  migrationsApplied: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  clock?: () => number;
}

/**
 * Opens storage, loads (or creates) the master key and migrates the schema: the common
 * start of `gatehouse serve` and every CLI command.
 */
export async function openGatehouse(config: Config, options: OpenOptions = {}): Promise<Gatehouse> {
  const clock = options.clock ?? Date.now;
  // Storage first: a bad database URL must fail before anything is created on disk.
  const storage = openSqlStorage(config.databaseUrl, { clock });
  const redis = config.redisUrl ? new RedisThrottleStore(config.redisUrl) : undefined;
  const closeAll = async () => {
    await redis?.close();
    await storage.close();
  };
  try {
    const masterKey = loadOrCreateMasterKey(config.masterKeyFile);
    await redis?.ready();
    const migrationsApplied = options.migrate === false ? [] : await storage.migrate();
    const digestKey = deriveKey(masterKey.key, 'client-secret digest');
    const keyEncryptionKey = deriveKey(masterKey.key, 'signing-key encryption');
    return {
      config,
      storage,
      keys: new KeyRing(storage.keys, keyEncryptionKey, config.keyRefreshInterval, clock),
      admin: new AdminService({ storage, digestKey, keyEncryptionKey, config, clock }),
      throttle: redis ?? new MemoryThrottleStore(),
      digestKey,
      masterKey,
      migrationsApplied,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
