/**
 * The HTTP layer every grant shares: one request with a timeout, retried with
 * full-jitter exponential backoff on network errors, 5xx and 429 (honouring
 * `Retry-After`), never on another 4xx. Web APIs only (fetch, AbortSignal), so
 * it runs in browsers and edge runtimes as well as on Node.
 */
import { NetworkError, type OAuthClientError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first request (so at most 1 + retries requests). Default 3. */
  retries?: number;
  /** The backoff before retry n (0-based) is random(0, min(maxDelayMs, baseDelayMs × 2ⁿ)). Default 200. */
  baseDelayMs?: number;
  /** Default 5 000. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` honoured, in ms. A server asking for a longer wait gets no
   * retry: the call fails at once with a TokenEndpointError carrying `retryAfter`, so that
   * no caller hangs for minutes. Default 30 000.
   */
  maxRetryAfterMs?: number;
}

/** What every entry point of the SDK accepts about its HTTP requests. */
export interface TransportOptions {
  /** The fetch to use; default globalThis.fetch. Called as a plain function, so `window.fetch` works unbound. */
  fetch?: typeof fetch;
  /** `false`: one attempt, no retry. */
  retry?: RetryOptions | false;
  /** Bound on each HTTP request, reading its answer included, in ms. Default 10 000. */
  timeoutMs?: number;
  /** For tests: milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** For tests: how to wait between retries. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: a number in [0, 1) for the jitter of the backoff and of Retry-After. Default Math.random. */
  random?: () => number;
}

export interface Runtime {
  fetch: typeof fetch;
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  timeoutMs: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export function runtimeOf(options: TransportOptions): Runtime {
  const retry = options.retry === false ? { retries: 0 } : (options.retry ?? {});
  const custom = options.fetch;
  const runtime: Runtime = {
    // Never called as a method: a browser's fetch throws "Illegal invocation" when `this` is
    // not the window. The global is read at each call: a fetch patched later is honoured.
    fetch: (input, init) => (custom ?? globalThis.fetch)(input, init),
    retries: retry.retries ?? 3,
    baseDelayMs: retry.baseDelayMs ?? 200,
    maxDelayMs: retry.maxDelayMs ?? 5_000,
    maxRetryAfterMs: retry.maxRetryAfterMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    clock: options.clock ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
  for (const name of ['retries', 'baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'timeoutMs'] as const) {
    if (!Number.isFinite(runtime[name]) || runtime[name] < 0) throw new TypeError(`${name} must be a non-negative number`);
  }
  return runtime;
}

/**
 * credentials: 'omit': no cookies to the authorization server, and no browser login prompt
 * for a 401 with `WWW-Authenticate: Basic` (Fetch §4.5; Chromium shows one), which would
 * hang the call. Set only where Request knows the member: some edge runtimes (Cloudflare
 * Workers) threw "not implemented" for it, and they have neither cookies nor prompts.
 */
const OMIT_CREDENTIALS: RequestInit = typeof Request !== 'undefined' && 'credentials' in Request.prototype ? { credentials: 'omit' } : {};

/**
 * Sends the request built by `init` (a fresh body for every attempt) until it gets an
 * answer that is not 5xx or 429, or the retries are spent; returns it with the local time
 * the successful attempt was sent and the number of requests sent. A 5xx/429 that is still
 * there at the end is turned into an error by `failure`; so is one whose `Retry-After` is
 * over `maxRetryAfterMs`. Redirects are not followed: credentials must not travel elsewhere.
 * The timeout also bounds reading the body of the answer returned.
 */
export async function sendWithRetry(
  runtime: Runtime,
  url: string,
  init: () => RequestInit,
  failure: (response: Response, reason?: string) => Promise<OAuthClientError>,
): Promise<{ response: Response; sentAt: number; attempts: number }> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= runtime.retries;
    const sentAt = runtime.clock();
    let response: Response;
    try {
      response = await runtime.fetch(url, { ...init(), ...OMIT_CREDENTIALS, redirect: 'manual', signal: AbortSignal.timeout(runtime.timeoutMs) });
    } catch (error) {
      if (last) throw new NetworkError(url, attempt + 1, error);
      await runtime.sleep(backoff(runtime, attempt));
      continue;
    }
    if (response.status < 500 && response.status !== 429) return { response, sentAt, attempts: attempt + 1 };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), runtime.clock());
    if (last) throw await failure(response);
    if (retryAfterMs !== undefined && retryAfterMs > runtime.maxRetryAfterMs) {
      throw await failure(response, `Retry-After ${Math.ceil(retryAfterMs / 1000)} s is longer than the ${runtime.maxRetryAfterMs / 1000} s this client waits`);
    }
    await response.body?.cancel().catch(() => {});
    // Retry-After plus a little jitter: clients told the same date do not come back as a herd.
    const wait = retryAfterMs === undefined ? backoff(runtime, attempt) : retryAfterMs + Math.floor(runtime.random() * Math.max(runtime.baseDelayMs, retryAfterMs / 10));
    await runtime.sleep(wait);
  }
}

/** Full jitter (every client picks its own point in the window, so a herd spreads out). */
function backoff(runtime: Runtime, attempt: number): number {
  return Math.floor(runtime.random() * Math.min(runtime.maxDelayMs, runtime.baseDelayMs * 2 ** attempt));
}

/** RFC 9110 §5.6.7: IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * RFC 9110 §10.2.3: `delta-seconds` (1*DIGIT) or an HTTP-date, in ms from `now`, never
 * negative. Only the IMF-fixdate form of HTTP-date is read (the obsolete forms are not sent
 * by servers of this century); anything else is ignored, and the backoff applies.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
