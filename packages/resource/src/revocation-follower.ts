/**
 * The revocation feed follower: keeps, in memory, what Gatehouse's
 * `GET /oauth/revocations?since=<revision>` says is revoked, so that every request is
 * checked against it synchronously, without introspection per request.
 */
import { parseChanges, type RevocationChanges, type RevocationSource } from './revocation-feed.js';

/** The claims the follower looks at. */
export interface RevocableClaims {
  client_id: string;
  client_epoch: number;
  jti: string;
  /** The grant (authorization code flow) the token was issued under; absent for client_credentials tokens. */
  grant_id?: string;
}

export interface RevocationFollowerOptions {
  source: RevocationSource;
  /** Time between two polls, in ms. Default 500. */
  pollInterval?: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** Told about every failed poll; the follower keeps its state and retries at the next tick. */
  onError?: (error: unknown) => void;
  /** Bound on one poll, in ms (a hung source must not stop the follower). Default 5 000. */
  pollTimeout?: number;
}

/** A revoked `jti` is forgotten this long after its `exp` (the verifiers' clock tolerance is far below). */
const JTI_RETENTION_SECONDS = 300;

/**
 * Polls a RevocationSource every `pollInterval` and answers `isRevoked` from memory.
 *
 * A failed poll keeps the last state (tokens revoked so far stay revoked; revocations
 * made during the outage arrive when the feed is back): availability is preferred over
 * an API that stops when the authorization server does.
 */
export class RevocationFollower {
  /** Resolves after the first successful poll; rejects if the follower is stopped before. */
  readonly ready: Promise<void>;

  readonly #source: RevocationSource;
  readonly #pollInterval: number;
  readonly #clock: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #epochs = new Map<string, number>();
  readonly #jtis = new Map<string, number>();
  readonly #withdrawnKeys = new Set<string>();
  readonly #grants = new Set<string>();
  #since = 0;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking = false;
  #firstAttempt: Promise<void> | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #isReady = false;
  #lastSuccessAt: number | undefined;
  readonly #pollTimeout: number;

  constructor(options: RevocationFollowerOptions) {
    this.#source = options.source;
    this.#pollInterval = options.pollInterval ?? 500;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError;
    this.#pollTimeout = options.pollTimeout ?? 5000;
    if (!(this.#pollInterval > 0)) throw new TypeError('pollInterval must be a positive number of milliseconds');
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody may be waiting on `ready`: a stop before the first poll must not crash the process.
    this.ready.catch(() => {});
  }

  /** The revision the state is complete up to. */
  get revision(): number {
    return this.#since;
  }

  /** Starts polling now (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#ticking) return; // the poll in flight reschedules itself
    const first = this.#tick();
    this.#firstAttempt ??= first;
  }

  /** Stops polling; the state is kept and still answers `isRevoked`. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#isReady) this.#rejectReady(new Error('the revocation follower was stopped before its first successful poll'));
  }

  /**
   * Settles once the first poll has been attempted (successfully or not). The verifier
   * waits for it so that a process does not accept revoked tokens in the few
   * milliseconds after it starts, yet does not hang when the feed is down.
   */
  firstAttempt(): Promise<void> {
    return this.#firstAttempt ?? Promise.resolve();
  }

  /** When the last poll succeeded (epoch ms), or undefined before the first success. */
  get lastSuccessAt(): number | undefined {
    return this.#lastSuccessAt;
  }

  /** Polls once now, outside the timer; rejects when the poll fails or takes longer than pollTimeout. */
  async poll(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the revocation feed did not answer within ${this.#pollTimeout} ms`)), this.#pollTimeout);
    });
    let fetched: RevocationChanges;
    try {
      fetched = await Promise.race([this.#source.fetchChanges(this.#since), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const changes = parseChanges(fetched);
    this.#apply(changes);
    this.#lastSuccessAt = this.#clock();
    if (!this.#isReady) {
      this.#isReady = true;
      this.#resolveReady();
    }
  }

  /** Whether the feed says this token (signed with `kid`) is revoked. Synchronous, from memory. */
  isRevoked(claims: RevocableClaims, kid: string): boolean {
    if (this.#withdrawnKeys.has(kid)) return true;
    const epoch = this.#epochs.get(claims.client_id);
    if (epoch !== undefined && !(claims.client_epoch >= epoch)) return true;
    if (typeof claims.grant_id === 'string' && this.#grants.has(claims.grant_id)) return true;
    return this.#jtis.has(claims.jti);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#ticking = true;
    try {
      await this.poll();
    } catch (error) {
      try {
        this.#onError?.(error);
      } catch {
        // a throwing callback must not stop the follower
      }
    } finally {
      this.#ticking = false;
    }
    if (this.#running && this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.#tick(), this.#pollInterval);
      this.#timer.unref();
    }
  }

  #apply(changes: RevocationChanges): void {
    for (const { client_id, epoch } of changes.clients) {
      const known = this.#epochs.get(client_id);
      if (known === undefined || epoch > known) this.#epochs.set(client_id, epoch);
    }
    for (const { jti, exp } of changes.tokens) {
      const known = this.#jtis.get(jti);
      if (known === undefined || exp > known) this.#jtis.set(jti, exp);
    }
    for (const kid of changes.withdrawn_keys) this.#withdrawnKeys.add(kid);
    for (const grantId of changes.grants ?? []) this.#grants.add(grantId);
    this.#since = changes.revision;
    const horizon = Math.floor(this.#clock() / 1000) - JTI_RETENTION_SECONDS;
    for (const [jti, exp] of this.#jtis) {
      if (exp < horizon) this.#jtis.delete(jti);
    }
  }
}
