import type { TokenOptions } from './token-cache.js';

/**
 * fetch with the access token: `Authorization: Bearer …` (RFC 6750 §2.1), and `X-Tenant`
 * when a tenant is configured or passed (unless the request sets it itself). The third
 * argument picks the token (scope, tenant) for this request; the request's own signal
 * (`init.signal`, else the Request's) also stops the wait for the token, unless the third
 * argument has one.
 */
export type AuthorizedFetch = (input: string | URL | Request, init?: RequestInit, token?: TokenOptions) => Promise<Response>;

export interface AuthorizedFetchDeps {
  fetch: typeof fetch;
  defaultTenant: string | undefined;
  getToken(options: TokenOptions): Promise<string>;
  /** Drops this token from the cache unless a newer one has replaced it. */
  invalidate(options: TokenOptions, accessToken: string): void;
}

/**
 * On a 401 whose challenge says `invalid_token` (RFC 6750 §3.1: revoked, expired, or
 * signed with a withdrawn key), the token is dropped from the cache, a new one is
 * obtained and the request is sent once more: only once, so a resource server that
 * refuses every token costs two requests, not a loop.
 *
 * A body can be sent only once when it is a stream: a request whose `init.body` is a
 * ReadableStream is not retried (the 401 is returned; the next request gets the new
 * token). A `Request` passed as `input` is cloned before the first attempt so that it
 * can be retried: its body is then buffered in memory until the first attempt is over.
 */
export function createAuthorizedFetch(deps: AuthorizedFetchDeps): AuthorizedFetch {
  return async function authorizedFetch(input, init, token = {}) {
    const tenant = token.tenant ?? deps.defaultTenant;
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const options: TokenOptions = { ...token, signal: token.signal ?? init?.signal ?? (isRequest ? input.signal : undefined) };
    const replayable = isReplayableBody(init?.body);
    const spare = isRequest && init?.body === undefined && input.body !== null ? input.clone() : undefined;

    const send = (target: string | URL | Request, accessToken: string) => {
      const headers = new Headers(init?.headers ?? (isRequest ? input.headers : undefined));
      headers.set('authorization', `Bearer ${accessToken}`);
      if (tenant !== undefined && !headers.has('x-tenant')) headers.set('x-tenant', tenant);
      return deps.fetch(target, { ...init, headers });
    };

    const first = await deps.getToken(options);
    const response = await send(input, first);
    if (!isInvalidToken(response)) return response;
    deps.invalidate(options, first);
    if (!replayable) return response;
    let second: string;
    try {
      second = await deps.getToken(options);
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      throw error;
    }
    if (second === first) return response;
    await response.body?.cancel().catch(() => {});
    return send(spare ?? input, second);
  };
}

/** RFC 6750 §3.1: a 401 whose Bearer challenge has `error="invalid_token"` (another scheme's `error` does not count). */
export function isInvalidToken(response: Response): boolean {
  if (response.status !== 401) return false;
  const header = response.headers.get('www-authenticate');
  return header !== null && parseChallenges(header).some((challenge) => challenge.scheme === 'bearer' && challenge.params.error === 'invalid_token');
}

export interface Challenge {
  /** Lowercase (schemes are case-insensitive). */
  scheme: string;
  /** Auth-params by lowercase name, quoted-strings unescaped; empty for a token68 challenge. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const QUOTED_STRING = /"((?:[^"\\]|\\.)*)"/y;
/** A token68 credential: it ends its challenge (RFC 7235 §2.1). */
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*[ \t]*(?=,|$)/y;
const SPACES = /[ \t]*/y;
const SPACES_AND_COMMAS = /[ \t,]*/y;

/**
 * The challenges of a WWW-Authenticate value (RFC 7235 §4.1, RFC 9110 §11.6.1):
 * `1#challenge`, `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`,
 * `auth-param = token BWS "=" BWS ( token / quoted-string )`. Commas separate both
 * challenges and auth-params: a token followed by `=` is a parameter of the current
 * challenge, any other token starts a new one. Parsing stops at the first malformed part.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let at = 0;
  const match = (pattern: RegExp): RegExpExecArray | null => {
    pattern.lastIndex = at;
    const found = pattern.exec(header);
    if (found) at = pattern.lastIndex;
    return found;
  };
  for (;;) {
    match(SPACES_AND_COMMAS);
    const name = match(TOKEN)?.[0];
    if (name === undefined) return challenges; // the end, or a malformed part
    match(SPACES);
    const current = challenges.at(-1);
    if (header[at] === '=' && current) {
      at++;
      match(SPACES);
      const quoted = match(QUOTED_STRING);
      const value = quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : match(TOKEN)?.[0];
      if (value === undefined) return challenges;
      current.params[name.toLowerCase()] ??= value;
    } else {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
      match(TOKEN68);
    }
  }
}

/** Bodies fetch can send again (a stream is consumed by the first attempt). */
function isReplayableBody(body: RequestInit['body']): boolean {
  if (body === undefined || body === null || typeof body === 'string') return true;
  if (body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return true;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return true;
  return false;
}
