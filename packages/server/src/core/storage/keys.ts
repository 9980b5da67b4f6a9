/** Signing keys: the active key, the retired ones still published, withdrawals. See ./index.ts for the rules every store follows. */
import type { SigningKey } from '../types.js';

export interface KeyStore {
  /**
   * Keys still published: the active one plus keys retired after `retiredAfter` (epoch
   * ms) that were not withdrawn. Newest first.
   */
  listPublishedKeys(retiredAfter: number): Promise<SigningKey[]>;
  /**
   * Atomically makes `key` the only active key; every previously active key is retired
   * at `now`. Concurrent activations serialise: the later one retires the earlier.
   * ConflictError when the kid exists.
   */
  activateKey(key: SigningKey, now: number): Promise<void>;
  /**
   * Withdraws a retired key at once (it leaves the JWKS; tokens it signed stop
   * verifying). The active key cannot be withdrawn: rotate first.
   */
  withdrawKey(kid: string, now: number): Promise<'withdrawn' | 'active' | 'not_found'>;
}
