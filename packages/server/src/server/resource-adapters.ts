/**
 * @gatehouse-auth/resource inside `gatehouse serve`: the verifier of the APIs it hosts reads the
 * signing keys and the revocation feed straight from this server's KeyRing and store
 * instead of over HTTP, with the same semantics (docs/resource-server.md).
 */
import type { Config } from '../core/config.js';
import type { KeyRing, VerificationKey } from '../core/keys.js';
import { readRevocationChanges } from '../core/revocation-feed.js';
import type { RevocationStore } from '../core/storage.js';
import { createVerifier, type KeySource, type RevocationSource, type Verifier } from '@gatehouse-auth/resource';


/**
 * The published signing keys of this server (a withdrawn key leaves them within
 * keyRefreshInterval). `cachedKey` answers from the ring's current view, so a token seen
 * before is verified without a promise (Verifier.verifyNow).
 */
export function keyRingKeySource(keys: Pick<KeyRing, 'verificationKey' | 'currentVerificationKey'>): KeySource {
  const toSourceKey = (key: VerificationKey | undefined) => key && { key: key.publicKey, alg: key.alg };
  return {
    getKey: async (kid) => toSourceKey(await keys.verificationKey(kid)),
    cachedKey: (kid) => toSourceKey(keys.currentVerificationKey(kid)),
  };
}

/** The revocation feed read from the store: what `GET /oauth/revocations?since=` answers. `onRead` is told each revision read. */
export function storeRevocationSource(revocations: Pick<RevocationStore, 'readChanges'>, clock: () => number = Date.now, onRead?: (revision: number) => void): RevocationSource {
  if (!onRead) return { fetchChanges: (since) => readRevocationChanges(revocations, since, clock()) };
  return {
    fetchChanges: async (since) => {
      const changes = await readRevocationChanges(revocations, since, clock());
      onRead(changes.revision);
      return changes;
    },
  };
}

export interface InProcessVerifierDeps {
  config: Pick<Config, 'issuer' | 'audience'>;
  /** The `aud` the tokens must carry; default config.audience (the document API). The admin API's verifier passes adminAudience. */
  audience?: string;
  keys: Pick<KeyRing, 'verificationKey' | 'currentVerificationKey'>;
  revocations: Pick<RevocationStore, 'readChanges'>;
  /** Told about failed key loads and feed polls (at most one report every 10 s). */
  onError?: (error: unknown) => void;
  /** Told of each successful read of the revocation feed (the revision read): the lag metric. */
  onFeedRead?: (revision: number) => void;
}

const ERROR_REPORT_INTERVAL_MS = 10_000;

/** A verifier for the tokens this server issues; it polls the store's revocation feed until closed. */
export function createInProcessVerifier(deps: InProcessVerifierDeps): Verifier {
  let lastReport = -Infinity;
  const onError = (error: unknown) => {
    // While the database is down the feed fails every poll: one line every 10 s is enough.
    if (!deps.onError || Date.now() - lastReport < ERROR_REPORT_INTERVAL_MS) return;
    lastReport = Date.now();
    deps.onError(error);
  };
  return createVerifier({
    issuer: deps.config.issuer,
    audience: deps.audience ?? deps.config.audience,
    keys: keyRingKeySource(deps.keys),
    revocations: storeRevocationSource(deps.revocations, Date.now, deps.onFeedRead),
    onError,
  });
}
