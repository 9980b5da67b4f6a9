import { OAuthError } from './errors.js';

/** The most parameters an OAuth request may carry; more is abuse, not a client. */
const MAX_PARAMETERS = 64;

/** Parameters of an OAuth request: each name at most once; empty values are absent. */
export type Params = ReadonlyMap<string, string>;

/**
 * Parses an application/x-www-form-urlencoded body. RFC 6749 §3.1: parameters sent
 * without a value are treated as omitted; request parameters must not be included more
 * than once (a repeated parameter is `invalid_request`).
 */
export function parseFormParameters(body: string): Params {
  const params = new Map<string, string>();
  const seen = new Set<string>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > MAX_PARAMETERS) throw new OAuthError('invalid_request', 'the request has too many parameters');
    if (seen.has(name)) throw new OAuthError('invalid_request', `${nameOfParameter(name)} is repeated`);
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}

const PARAMETER_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * How an error description names a parameter the client sent: by its name when that is a
 * plain OAuth-style name (`the scope parameter`), otherwise without quoting the client's
 * bytes (RFC 6749 §5.2 restricts error_description's alphabet).
 */
export function nameOfParameter(name: string): string {
  return PARAMETER_NAME.test(name) ? `the ${name} parameter` : 'a parameter';
}

/** A required parameter; `invalid_request` naming it when absent. */
export function requireParam(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw new OAuthError('invalid_request', `the ${name} parameter is required`);
  return value;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The request as the protocol engine sees it: no framework types. */
export interface OAuthRequest {
  contentType: string | undefined;
  /** The raw request body (undefined when there was none). */
  body: string | undefined;
  /** The raw query string, without the leading `?`. */
  query: string;
  authorization: string | undefined;
  /** Source address, for throttling. */
  ip: string;
}

/** The form parameters of an OAuth POST, and why its body was refused, if it was. */
export interface FormRequest {
  params: Params;
  /**
   * Set when the body is not a form but the client may authenticate in the Authorization
   * header: the handler throws it once the client is authenticated (checkFormBody), so a
   * caller with wrong credentials learns nothing before its credentials are checked.
   */
  refusal: OAuthError | undefined;
}

/**
 * Parses the form body of an OAuth POST endpoint, refusing other media types and client
 * credentials in the query string (RFC 6749 §2.3.1: credentials only in the body or
 * the Authorization header; URLs end up in logs). An empty body is no body whatever its
 * framing (chunked or `Content-Length: 0`, with or without a media type): no parameters.
 * A non-form body is refused at once when there is no Authorization header (nothing to
 * authenticate first), else after client authentication (FormRequest.refusal).
 */
export function readFormRequest(request: OAuthRequest): FormRequest {
  if (request.query !== '') {
    const query = new URLSearchParams(request.query);
    if (query.has('client_secret') || query.has('client_assertion')) {
      throw new OAuthError('invalid_request', 'client credentials must not be sent in the URL query string');
    }
  }
  const body = request.body ?? '';
  if (body === '' || mediaType(request.contentType) === FORM_MEDIA_TYPE) return { params: parseFormParameters(body), refusal: undefined };
  const refusal = new OAuthError('invalid_request', `the request body must be ${FORM_MEDIA_TYPE}`);
  if (request.authorization === undefined) throw refusal;
  return { params: parseFormParameters(''), refusal };
}

/** Throws the refusal readFormRequest deferred until the client was authenticated. */
export function checkFormBody(form: FormRequest): void {
  if (form.refusal) throw form.refusal;
}
