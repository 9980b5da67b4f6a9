/**
 * The revocation feed follower: keeps, in memory, what Gatehouse's
 * `GET /oauth/revocations?since=<revision>` says is revoked, so that every request is
 * checked against it synchronously, without introspection per request.
 */

/** The JSON answer of `GET /oauth/revocations?since=N`: the changes after revision N. */
export interface RevocationChanges {
  /** The revision the answer is complete up to; the next poll asks `since=revision`. */
  revision: number;
  /** A token of `client_id` whose `client_epoch` claim is lower than `epoch` is revoked. */
  clients: { client_id: string; epoch: number }[];
  /** Revoked `jti`s, until their `exp`. */
  tokens: { jti: string; client_id: string; exp: number }[];
  /** Withdrawn signing keys: every token they signed is revoked. */
  withdrawn_keys: string[];
  /**
   * Revoked grants: a token whose `grant_id` claim is one of them is revoked. Absent from
   * the answers of servers older than the authorization code flow.
   */
  grants?: string[];
}

/** Where the follower reads the changes from (the HTTP feed, or the store inside Gatehouse). */
export interface RevocationSource {
  fetchChanges(since: number): Promise<RevocationChanges>;
}

/** The feed could not be read. Never carries the client secret. */
export class RevocationFeedError extends Error {
  /** The HTTP status the feed answered with, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RevocationFeedError';
    this.status = options.status;
  }
}

export interface RemoteRevocationSourceOptions {
  issuer: string;
  /** A client created with `gatehouse client create --resource-server`. */
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Bound on each request, in ms. Default 5 000. */
  timeout?: number;
}

/**
 * Reads `GET <issuer>/oauth/revocations?since=N`, authenticated with HTTP Basic
 * (RFC 6749 §2.3.1: id and secret are form-urlencoded before the Base64 step).
 */
export function remoteRevocationSource(options: RemoteRevocationSourceOptions): RevocationSource {
  const endpoint = `${options.issuer.replace(/\/+$/, '')}/oauth/revocations`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeout = options.timeout ?? 5_000;
  const authorization = `Basic ${Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`).toString('base64')}`;

  return {
    async fetchChanges(since) {
      let response: Response;
      try {
        response = await doFetch(`${endpoint}?since=${since}`, {
          headers: { authorization, accept: 'application/json' },
          // A redirect must not carry the credentials anywhere else.
          redirect: 'error',
          signal: AbortSignal.timeout(timeout),
        });
      } catch (cause) {
        throw new RevocationFeedError(`the revocation feed at ${endpoint} could not be reached`, { cause });
      }
      if (response.status !== 200) {
        const code = await errorCodeOf(response);
        throw new RevocationFeedError(`the revocation feed at ${endpoint} answered HTTP ${response.status}${code ? ` (${code})` : ''}`, { status: response.status });
      }
      try {
        return (await response.json()) as RevocationChanges;
      } catch (cause) {
        throw new RevocationFeedError(`the revocation feed at ${endpoint} did not answer JSON`, { status: response.status, cause });
      }
    },
  };
}

/** application/x-www-form-urlencoded (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** The RFC 6749 `error` code of an error body, when it is one (for the operator's logs). */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: unknown };
    return typeof body.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

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

/** Checks the shape of a feed answer; a malformed one fails the poll and changes nothing. */
function parseChanges(value: unknown): RevocationChanges {
  const fail = (what: string): never => {
    throw new RevocationFeedError(`the revocation feed answered a malformed document (${what})`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const body = value as Record<string, unknown>;
  if (!isCount(body.revision)) fail('revision');
  if (!Array.isArray(body.clients) || !Array.isArray(body.tokens) || !Array.isArray(body.withdrawn_keys)) fail('missing lists');
  const clients = (body.clients as unknown[]).map((entry) => {
    const item = entry as Record<string, unknown> | null;
    if (typeof item !== 'object' || item === null || typeof item.client_id !== 'string' || !isCount(item.epoch)) return fail('clients');
    return { client_id: item.client_id, epoch: item.epoch as number };
  });
  const tokens = (body.tokens as unknown[]).map((entry) => {
    const item = entry as Record<string, unknown> | null;
    if (typeof item !== 'object' || item === null || typeof item.jti !== 'string' || typeof item.client_id !== 'string' || typeof item.exp !== 'number' || !Number.isFinite(item.exp)) {
      return fail('tokens');
    }
    return { jti: item.jti, client_id: item.client_id, exp: item.exp };
  });
  const withdrawn = (body.withdrawn_keys as unknown[]).map((kid) => (typeof kid === 'string' ? kid : fail('withdrawn_keys')));
  // Optional: servers older than the authorization code flow do not send it.
  if (body.grants !== undefined && !Array.isArray(body.grants)) fail('grants');
  const grants = ((body.grants ?? []) as unknown[]).map((id) => (typeof id === 'string' ? id : fail('grants')));
  return { revision: body.revision as number, clients, tokens, withdrawn_keys: withdrawn, grants };
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
