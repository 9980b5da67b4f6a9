/**
 * Request parsing (RFC 6750 §2): where the access token of a request is, and the header
 * values the route requirements read. Framework-free: a web `Request`, Node's headers or
 * a plain object.
 */
import type { BearerError } from './errors.js';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Header values as a web `Headers`, a plain object, or Node's `IncomingHttpHeaders`. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** A web `Request`, or anything with headers and a URL (a path such as `/files/1?x=1` will do). */
export interface VerifiableRequest {
  headers: HeadersLike;
  url: string;
}

/** Builds the 400 (or the bare 401 challenge, code undefined) of a malformed or credential-less request. */
export type RequestFailure = (code: 'invalid_request' | undefined, description: string) => BearerError;

/**
 * Finds the one access token of the request (RFC 6750 §2): the Authorization header, or
 * the `access_token` query parameter on routes that accept it (`queryToken`). More than
 * one way, more than one token, or an empty one is a malformed request (§3.1
 * invalid_request); no token at all is a challenge without an error code (§3.1).
 */
export function extractToken(request: VerifiableRequest, queryToken: boolean, fail: RequestFailure): string {
  const authorization = headerValues(request.headers, 'authorization');
  if (authorization.length > 1) throw fail('invalid_request', 'the request carries more than one Authorization header');
  let headerToken: string | undefined;
  const value = authorization[0]?.trim() ?? '';
  if (value !== '') {
    // Two credentials in one header (`Bearer a, Bearer b`, `Basic x, Bearer y`).
    if (value.includes(',') && /(^|,)[ \t]*bearer([ \t,]|$)/i.test(value)) throw fail('invalid_request', 'the Authorization header carries more than one credential');
    const scheme = /^[^ \t]+/.exec(value)?.[0] ?? '';
    // The scheme name is case-insensitive (RFC 7235 §2.1). Another scheme is not a bearer token: as if absent.
    if (scheme.toLowerCase() === 'bearer') {
      headerToken = value.slice(scheme.length).trim();
      if (headerToken === '') throw fail('invalid_request', 'the Bearer credentials are empty');
      // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
      // Anything else (`Bearer a b`, a quote, a control character) is a malformed request (§3.1).
      if (!B64TOKEN.test(headerToken)) throw fail('invalid_request', 'the Bearer credentials are not a b64token (RFC 6750 section 2.1)');
    }
  }

  const queryTokens = queryParameter(request.url, 'access_token');
  if (queryTokens.length > 0) {
    if (!queryToken) {
      throw fail('invalid_request', 'this route does not accept an access token in the query string: send it in the Authorization header');
    }
    if (queryTokens.length > 1) throw fail('invalid_request', 'the request carries more than one access_token parameter');
    if (headerToken !== undefined) throw fail('invalid_request', 'the request carries an access token both in the Authorization header and in the query string');
    const token = queryTokens[0]!;
    if (token === '') throw fail('invalid_request', 'the access_token parameter is empty');
    return token;
  }
  if (headerToken === undefined) throw fail(undefined, 'an access token is required');
  return headerToken;
}

function queryParameter(url: string, name: string): string[] {
  const query = url.indexOf('?');
  if (query === -1) return [];
  try {
    return new URL(url, 'http://localhost').searchParams.getAll(name);
  } catch {
    return new URLSearchParams(url.slice(query + 1).split('#', 1)[0]).getAll(name);
  }
}

/** Every value of a header: a repeated header in a plain object is an array; `Headers` joins repeats with commas. */
export function headerValues(headers: HeadersLike, name: string): string[] {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    const value = (headers as Headers).get(name);
    return value === null ? [] : [value];
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/**
 * The headers of a Node request for `verify`. Node keeps only the first of repeated
 * Authorization headers in `headers`; `rawHeaders` lists them all, so that two
 * credentials are refused rather than one silently picked.
 */
export function nodeHeaders(headers: Record<string, string | string[] | undefined>, rawHeaders: readonly string[] | undefined): HeadersLike {
  if (!Array.isArray(rawHeaders)) return headers;
  const authorization: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'authorization') authorization.push(rawHeaders[i + 1]!);
  }
  return authorization.length <= 1 ? headers : { ...headers, authorization };
}
