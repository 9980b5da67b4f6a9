import { DiscoveryError, NetworkError, OAuthClientError } from './errors.js';
import { isObject } from './encoding.js';
import { runtimeOf, sendWithRetry, type Runtime, type TransportOptions } from './transport.js';

/** The members of RFC 8414 §2 metadata the SDK reads; the rest is kept as sent. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint?: string;
  authorization_endpoint?: string;
  revocation_endpoint?: string;
  /** RFC 9207 §3: when true, every authorization response carries `iss` and a callback without it is refused. */
  authorization_response_iss_parameter_supported?: boolean;
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
  [member: string]: unknown;
}

/**
 * Where an entry point finds the token endpoint: exactly one of the `issuer` (the
 * metadata is discovered) or the `tokenEndpoint` itself (no discovery).
 */
export type ServerOptions =
  | {
      /** The issuer identifier, exactly as the server's metadata and its `iss` values spell it. */
      issuer: string;
      tokenEndpoint?: undefined;
    }
  | {
      issuer?: undefined;
      tokenEndpoint: string;
    };

/**
 * Metadata already fetched, per fetch function and issuer: fetched once and kept for the
 * life of the process, never refreshed (a server whose endpoints move needs the
 * integrator's process restarted); concurrent callers share one request. A failure is not
 * remembered, so the next call tries again.
 */
const cache = new WeakMap<object, Map<string, Promise<AuthorizationServerMetadata>>>();
const GLOBAL_FETCH = {};

/**
 * Reads the authorization server metadata of `issuer`: RFC 8414 first
 * (`/.well-known/oauth-authorization-server`, with the issuer's path after the
 * well-known segment, §3.1, then appended as Gatehouse also serves it), then OpenID
 * Connect Discovery 1.0 §4 (`<issuer>/.well-known/openid-configuration`), so that
 * OpenID providers work too. The metadata's `issuer` must be identical to `issuer`
 * (RFC 8414 §3.3), else the answer is refused: it is another server's.
 */
export function discover(issuer: string, options: TransportOptions = {}): Promise<AuthorizationServerMetadata> {
  return discoverWith(runtimeOf(options), issuer, options.fetch);
}

export function discoverWith(runtime: Runtime, issuer: string, fetchKey: object | undefined): Promise<AuthorizationServerMetadata> {
  const key = fetchKey ?? GLOBAL_FETCH;
  let perFetch = cache.get(key);
  if (!perFetch) cache.set(key, (perFetch = new Map()));
  const cached = perFetch.get(issuer);
  if (cached) return cached;
  const flight = fetchMetadata(runtime, issuer);
  perFetch.set(issuer, flight);
  flight.catch(() => perFetch.delete(issuer));
  return flight;
}

async function fetchMetadata(runtime: Runtime, issuer: string): Promise<AuthorizationServerMetadata> {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new DiscoveryError(issuer, 'the issuer is not an absolute URL');
  }
  if (url.search || url.hash) throw new DiscoveryError(issuer, 'an issuer has no query or fragment (RFC 8414 §2)');
  const problems: string[] = [];
  for (const candidate of metadataUrls(url)) {
    let response: Response;
    try {
      ({ response } = await sendWithRetry(runtime, candidate, () => ({ headers: { accept: 'application/json' } }), async (failed, reason) => {
        await failed.body?.cancel().catch(() => {});
        return new DiscoveryError(issuer, `${candidate} answered HTTP ${failed.status}${reason ? ` (${reason})` : ''}`);
      }));
    } catch (error) {
      // The server is unreachable or failing: the next URL would not fare better.
      if (error instanceof NetworkError) throw new DiscoveryError(issuer, error.message, { cause: error });
      throw error instanceof OAuthClientError ? error : new DiscoveryError(issuer, 'the request failed', { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      problems.push(`${candidate} answered HTTP ${response.status}`);
      continue;
    }
    let metadata: unknown;
    try {
      metadata = await response.json();
    } catch {
      throw new DiscoveryError(issuer, `${candidate} did not answer JSON`);
    }
    if (!isObject(metadata)) throw new DiscoveryError(issuer, `${candidate} did not answer a JSON object`);
    // RFC 8414 §3.3: "MUST be identical"; a mismatch is another server's metadata (mix-up).
    if (metadata.issuer !== issuer) {
      throw new DiscoveryError(issuer, `the metadata at ${candidate} names the issuer ${JSON.stringify(String(metadata.issuer).slice(0, 200))}, not the configured one`);
    }
    for (const name of ['token_endpoint', 'authorization_endpoint', 'revocation_endpoint'] as const) {
      if (metadata[name] !== undefined) metadata[name] = checkEndpoint(metadata[name], name, issuer);
    }
    return metadata as AuthorizationServerMetadata;
  }
  throw new DiscoveryError(issuer, `no metadata found (${problems.join('; ')})`);
}

function metadataUrls(issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/+$/, '');
  const base = `${issuer.origin}${path}`;
  const urls = path ? [`${issuer.origin}/.well-known/oauth-authorization-server${path}`] : [];
  urls.push(`${base}/.well-known/oauth-authorization-server`, `${base}/.well-known/openid-configuration`);
  return urls;
}

/** The token endpoint: the configured one, else the discovered one. */
export async function tokenEndpointOf(runtime: Runtime, server: ServerOptions, fetchKey: object | undefined): Promise<string> {
  if (server.tokenEndpoint !== undefined) return server.tokenEndpoint;
  const metadata = await discoverWith(runtime, server.issuer, fetchKey);
  if (typeof metadata.token_endpoint !== 'string') throw new DiscoveryError(server.issuer, 'the metadata has no token_endpoint');
  return metadata.token_endpoint;
}

/** ServerOptions checked at run time too (for JavaScript callers): exactly one, an absolute URL. */
export function checkServerOptions(server: ServerOptions, where: string): void {
  if ((server.issuer === undefined) === (server.tokenEndpoint === undefined)) throw new TypeError(`${where}: give either issuer or tokenEndpoint`);
  const [name, value] = server.issuer !== undefined ? ['issuer', server.issuer] : ['tokenEndpoint', server.tokenEndpoint];
  if (!isAbsoluteUrl(value)) throw new TypeError(`${where}: ${name} must be an absolute URL`);
}

export function isAbsoluteUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** A metadata or redirect URL the SDK will send credentials to: absolute, and https unless the issuer is http. */
function checkEndpoint(value: unknown, name: string, issuer: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new DiscoveryError(issuer, `${name} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && issuer.startsWith('http:'))) {
    throw new DiscoveryError(issuer, `${name} of an https issuer must use https`);
  }
  return url.href;
}
