import { OAuthError } from './errors.js';
import { ValidationError } from './errors.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: string): boolean {
  return value.length <= 200 && SCOPE_TOKEN.test(value);
}

/** Splits a space-delimited scope string into distinct tokens, sorted (order carries no meaning). */
function splitScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((token) => token !== ''))].sort();
}

/**
 * Operator-supplied scope lists (CLI, admin API): every token must be valid.
 * Throws ValidationError naming the bad token.
 */
export function parseScopeList(scope: string): string[] {
  const tokens = splitScope(scope.trim().replace(/\s+/g, ' '));
  const bad = tokens.find((token) => !isScopeToken(token));
  if (bad !== undefined) throw new ValidationError(`invalid scope name "${bad}": scope names are printable ASCII without spaces, quotes or backslashes`);
  return tokens;
}

/**
 * Decides the scope of a token request (RFC 6749 §3.3): the requested scope must be a
 * subset of what the client may request; with no `scope` parameter the client's default
 * scopes apply. Duplicates and order do not matter; the result is sorted.
 */
export function resolveRequestedScope(
  requested: string | undefined,
  client: { id: string; scopes: readonly string[]; defaultScopes: readonly string[] },
): string[] {
  if (requested === undefined) return [...client.defaultScopes].sort();
  const tokens = splitScope(requested);
  if (tokens.length === 0) return [...client.defaultScopes].sort();
  for (const token of tokens) {
    if (!isScopeToken(token)) throw new OAuthError('invalid_scope', 'the scope parameter contains a malformed scope token');
  }
  const allowed = new Set(client.scopes);
  const refused = tokens.filter((token) => !allowed.has(token));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', 'the scope parameter asks for a scope this client is not allowed to request');
  }
  return tokens;
}

/**
 * The scope of admin-API tokens (README, "Admin API tokens"): honoured only in client_credentials
 * tokens minted for the admin API's own audience (adminAudience). It is never granted
 * through the authorization endpoint, a code or a refresh token, and a token that carries
 * it carries nothing else.
 */
export const ADMIN_SCOPE = 'gatehouse:admin';

/** The `aud` of admin-API tokens (and the RFC 8707 `resource` that asks for one): `<issuer>/admin/api`. */
export function adminAudience(issuer: string): string {
  return `${issuer}/admin/api`;
}
