import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createAdminServices, type AdminServices } from '../core/admin/index.js';
import { adminMfaKeys } from '../core/admin/mfa.js';
import { adminSignInKey } from '../core/admin/sign-in.js';
import { AuditService, silentAuditSink, type AuditLogSink } from '../core/audit.js';
import { codeDigestKey } from '../core/authorization-codes.js';
import { authorizationSessionKey } from '../core/authorize/session.js';
import type { Config } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { KeyRing, keyRetentionMs } from '../core/keys.js';
import { refreshTokenDigestKey } from '../core/refresh-tokens.js';
import { adminAudience } from '../core/scope.js';
import { deriveKey } from '../core/secrets.js';
import { sessionCsrfKey, sessionDigestKey } from '../core/sessions.js';
import type { Storage, ThrottleStore } from '../core/storage.js';
import { MemoryThrottleStore } from '../store/memory/throttle.js';
import type { RedisThrottleStore } from '../store/redis/throttle.js';
import { openSqlStorage } from '../store/sql/index.js';
import { checkPrivate, loadOrCreateMasterKey, type MasterKey } from './master-key.js';
import type { ServerMetrics } from './metrics.js';
import { createInProcessVerifier } from './resource-adapters.js';
import { buildServices, type DerivedKeys, type Services } from './services.js';
import type { Verifier } from '@gatehouse-auth/resource';

/** Everything a running Gatehouse (server or CLI command) works with. */
export interface Gatehouse {
  config: Config;
  storage: Storage;
  keys: KeyRing;
  /** The admin services acting as `cli` (the CLI's commands; tests). */
  admin: AdminServices;
  /** The admin services acting as `actor` (`system` for serve's own work; the admin API and dashboard: the signed-in operator or client). */
  adminAs(actor: string): AdminServices;
  /** The audit log (core/audit.ts): recording, listing, pruning. */
  audit: AuditService;
  throttle: ThrottleStore;
  /** The Redis throttle store when GATEHOUSE_REDIS_URL is set (for health checks). */
  redis: RedisThrottleStore | undefined;
  digestKey: Buffer;
  masterKey: MasterKey;
  /** The application the HTTP layer serves (services.ts), built once. */
  services: Services;
  /**
   * The verifier of this server's own access tokens for APIs it hosts (the demo document
   * API; the admin API): signing keys and the revocation feed read in-process
   * (resource-adapters.ts). Built on first use, once; closed with the Gatehouse.
   */
  verifier(): Verifier;
  /**
   * The same for the admin API: it accepts only tokens whose `aud` is the admin API's
   * (adminAudience), so no document-API token, while verifier() accepts no admin token.
   */
  adminVerifier(): Verifier;
  /** Migrations applied by this open (empty when the schema was current). */
  migrationsApplied: string[];
  /** The metrics it reports (OpenOptions.metrics); buildApp adds the HTTP ones. */
  metrics: ServerMetrics | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * `always` (serve, migrate): apply pending migrations. `if-fresh` (other CLI
   * commands): set up an empty database, but refuse to change the schema of one in use
   * behind the servers' back — ask for `gatehouse migrate` instead.
   */
  migrate?: 'always' | 'if-fresh';
  clock?: () => number;
  /** Problems of background work (key refresh, Redis); the server logs them. */
  onBackgroundError?: (error: unknown, context: string) => void;
  /** Where audit events are logged besides the database (serve: the Fastify logger); default: nowhere. */
  auditLog?: AuditLogSink;
  /** Where the core, the storage and the HTTP layer report metrics (serve with a management listener: server/metrics.ts); default: nowhere. */
  metrics?: ServerMetrics;
  /** How long a write may wait for a SQLite lock held by another process (SqlStorageOptions.lockWaitMs). */
  lockWaitMs?: number;
}

const MASTER_KEY_CHECK = 'master_key_check';

/** A value that identifies the master key without revealing it. */
function masterKeyCheck(masterKey: Buffer): string {
  return createHmac('sha256', deriveKey(masterKey, 'master-key check')).update('gatehouse').digest('base64url');
}

/**
 * Opens storage, migrates the schema, and loads (or, for a new database, creates) the
 * master key: the common start of `gatehouse serve` and every CLI command.
 *
 * The database remembers a check value of its master key, so a server or CLI pointed at
 * the wrong key file (or none) stops with a clear error instead of minting secrets and
 * keys that the other processes cannot use.
 */
export async function openGatehouse(config: Config, options: OpenOptions = {}): Promise<Gatehouse> {
  const clock = options.clock ?? Date.now;
  const report = options.onBackgroundError ?? (() => {});
  // Storage first: a bad database URL must fail before anything is created on disk.
  const { metrics } = options;
  const storage = openSqlStorage(config.databaseUrl, {
    clock,
    poolSize: config.databasePoolSize,
    ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }),
    ...(metrics ? { onQueryError: () => metrics.storageQueryFailed() } : {}),
  });
  if (metrics && storage.pool) metrics.watchPool(storage.pool);
  // Loaded only when configured: ioredis costs ~20 MB of memory (docs/performance.md).
  const redis = config.redisUrl
    ? new (await import('../store/redis/throttle.js')).RedisThrottleStore(config.redisUrl, { onError: (error) => report(error, 'redis') })
    : undefined;
  let verifier: Verifier | undefined;
  let adminVerifier: Verifier | undefined;
  const closeAll = async () => {
    await verifier?.close();
    await adminVerifier?.close();
    await redis?.close();
    await storage.close();
  };
  try {
    // The data directory holds the master key and the SQLite files: the server and the CLI
    // refuse one that others may enter (one Gatehouse created is 0700 already).
    checkPrivate(config.dataDir, 'the data directory');
    const migrationsApplied = await migrateAsAsked(storage, options.migrate ?? 'always');
    const masterKey = await loadMasterKey(storage, config.masterKeyFile);
    await redis?.ready();
    const derived = deriveKeys(masterKey.key);
    const keys = new KeyRing(storage.keys, derived.signingKeyEncryption, {
      refreshMs: config.keyRefreshInterval,
      retentionMs: keyRetentionMs(config),
      clock,
      onError: (error) => report(error, 'signing key refresh'),
    });
    const throttle = redis ?? new MemoryThrottleStore();
    const audit = new AuditService({ store: storage.audit, sink: options.auditLog ?? silentAuditSink, clock });
    const verifierFor = (audience: string, what: string, follower: 'document_api' | 'admin_api') =>
      createInProcessVerifier({
        config,
        audience,
        keys,
        revocations: storage.revocations,
        onError: (error) => report(error, `in-process token verifier of the ${what} (keys or revocation feed)`),
        ...(metrics ? { onFeedRead: (revision: number) => metrics.revocationFeedRead(follower, revision) } : {}),
      });
    const getAdminVerifier = () => (adminVerifier ??= verifierFor(adminAudience(config.issuer), 'admin API', 'admin_api'));
    // adminAs is defined below; services call it only once built (after this function returns).
    const services = buildServices({ config, storage, keys, throttle, redis, derived, audit, clock, adminAs: (actor) => adminAs(actor), adminVerifier: getAdminVerifier, metrics });
    // Deleting or disabling an admin account, or replacing its credentials, ends its sessions.
    const adminSessions = { endAdminSessions: (accountId: string) => services.sessions.endAll('admin', accountId) };
    const adminAs = (actor: string) =>
      createAdminServices({ storage, digestKey: derived.clientSecretDigest, keyEncryptionKey: derived.signingKeyEncryption, config, audit, actor, clock, adminSessions });
    return {
      config,
      storage,
      keys,
      admin: adminAs('cli'),
      adminAs,
      audit,
      throttle,
      redis,
      digestKey: derived.clientSecretDigest,
      masterKey,
      services,
      verifier: () => (verifier ??= verifierFor(config.audience, 'document API', 'document_api')),
      adminVerifier: getAdminVerifier,
      migrationsApplied,
      metrics,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Every key derived from the master key (HKDF, one purpose each): derived here, once. */
export function deriveKeys(masterKey: Buffer): DerivedKeys {
  return {
    clientSecretDigest: deriveKey(masterKey, 'client-secret digest'),
    signingKeyEncryption: deriveKey(masterKey, 'signing-key encryption'),
    codeDigest: codeDigestKey(masterKey),
    refreshTokenDigest: refreshTokenDigestKey(masterKey),
    authorizationSession: authorizationSessionKey(masterKey),
    sessionDigest: sessionDigestKey(masterKey),
    sessionCsrf: sessionCsrfKey(masterKey),
    adminMfa: adminMfaKeys(masterKey),
    adminSignIn: adminSignInKey(masterKey),
  };
}

async function migrateAsAsked(storage: Storage, mode: 'always' | 'if-fresh'): Promise<string[]> {
  if (mode === 'always') return storage.migrate();
  const { applied, pending } = await storage.migrationStatus();
  if (applied.length === 0) return storage.migrate();
  if (pending.length > 0) {
    throw new ValidationError(
      `the database schema is older than this version of gatehouse (pending migrations: ${pending.join(', ')}); run \`gatehouse migrate\` first`,
    );
  }
  return [];
}

async function loadMasterKey(storage: Storage, file: string): Promise<MasterKey> {
  const recorded = await storage.settings.getSetting(MASTER_KEY_CHECK);
  if (recorded !== undefined && !existsSync(file)) {
    throw new ValidationError(
      `no master key at ${file}, but this database was set up with one: point GATEHOUSE_MASTER_KEY_FILE (or GATEHOUSE_DATA_DIR) at it`,
    );
  }
  const masterKey = loadOrCreateMasterKey(file);
  const check = masterKeyCheck(masterKey.key);
  const stored = recorded ?? (await storage.settings.putSettingIfAbsent(MASTER_KEY_CHECK, check));
  if (stored !== check) {
    throw new ValidationError(`the master key at ${file} is not the one this database was set up with: point GATEHOUSE_MASTER_KEY_FILE at the right file`);
  }
  return masterKey;
}
