import { StorageUnavailableError } from './errors.js';
import type { KeyRing } from './keys.js';
import type { Storage } from './storage.js';

export interface HealthDeps {
  database: Pick<Storage, 'ping'>;
  keys: Pick<KeyRing, 'signingKey'>;
  /** The optional Redis hot state, when configured. */
  redis?: { available(): Promise<boolean> } | undefined;
}

/**
 * `ok` when the server can issue tokens, `no_signing_key` (with the problem, for the
 * log) when no signing key can be loaded. A database that does not answer throws
 * StorageUnavailableError (503 like any outage). Redis is optional hot state: the server
 * works without it, so its absence is reported, not failed.
 */
export type HealthReport = { status: 'ok'; redis?: 'unavailable' } | { status: 'no_signing_key'; problem: unknown };

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  await deps.database.ping();
  try {
    await deps.keys.signingKey();
  } catch (error) {
    if (error instanceof StorageUnavailableError) throw error;
    return { status: 'no_signing_key', problem: error };
  }
  if (deps.redis && !(await deps.redis.available())) return { status: 'ok', redis: 'unavailable' };
  return { status: 'ok' };
}
