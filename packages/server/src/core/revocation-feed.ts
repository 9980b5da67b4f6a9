import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import type { RevocationChanges, RevocationStore } from './storage.js';

export type RevocationFeedDeps = ClientAuthDeps & { revocations: Pick<RevocationStore, 'readChanges'> };

/**
 * Deny-list entries outlive their token's exp by this much (clock skew between nodes):
 * in the database, in the feed and in the verifiers.
 */
export const REVOCATION_SKEW_SECONDS = 300;

/** The feed from `since`, leaving out entries whose token expired more than the skew ago. */
export function readRevocationChanges(revocations: Pick<RevocationStore, 'readChanges'>, since: number, now: number): Promise<RevocationChanges> {
  return revocations.readChanges(since, Math.floor(now / 1000) - REVOCATION_SKEW_SECONDS);
}

/**
 * GET /oauth/revocations?since=N (docs/resource-server.md): the revocations after
 * revision N, for the provider's resource servers, which follow it to reject revoked
 * tokens within a second without introspecting each one. The caller authenticates with
 * HTTP Basic as a client created with `--resource-server`.
 */
export async function handleRevocationFeedRequest(
  request: { authorization: string | undefined; ip: string; query: string },
  deps: RevocationFeedDeps,
  now: number,
): Promise<RevocationChanges> {
  const query = new URLSearchParams(request.query);
  if (query.has('client_secret') || query.has('client_id')) {
    throw new OAuthError('invalid_request', 'client credentials must be sent with HTTP Basic, never in the URL');
  }
  const { client } = await authenticateClient(request, new Map(), deps, now);
  if (!client.resourceServer) {
    throw new OAuthError('unauthorized_client', 'only clients created with --resource-server may read the revocation feed', { status: 403 });
  }
  const values = query.getAll('since');
  if (values.length > 1) throw new OAuthError('invalid_request', 'the since parameter is repeated');
  const raw = values[0] === undefined || values[0] === '' ? '0' : values[0];
  const since = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(since)) {
    throw new OAuthError('invalid_request', 'the since parameter must be a non-negative integer revision');
  }
  return readRevocationChanges(deps.revocations, since, now);
}
