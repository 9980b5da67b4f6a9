/**
 * The revocation feed on the wire: the JSON answer of Gatehouse's
 * `GET /oauth/revocations?since=<revision>` (docs/resource-server.md), the source a
 * follower reads it from, and the check of its shape.
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

/** Checks the shape of a feed answer; a malformed one fails the poll and changes nothing. */
export function parseChanges(value: unknown): RevocationChanges {
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
