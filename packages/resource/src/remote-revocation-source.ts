/** The HTTP revocation source: Gatehouse's feed, read with a resource-server client's credentials. */
import { RevocationFeedError, type RevocationChanges, type RevocationSource } from './revocation-feed.js';

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
