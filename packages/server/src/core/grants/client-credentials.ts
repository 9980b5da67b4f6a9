import { accessTokenTtlOf, mintAccessToken } from '../access-token.js';
import type { Config } from '../config.js';
import { OAuthError } from '../errors.js';
import type { Params } from '../params.js';
import { ADMIN_SCOPE, adminAudience, resolveRequestedScope } from '../scope.js';
import type { Client } from '../types.js';
import type { Grant } from './types.js';

/** What a client_credentials token is for: the admin API or the document API, with its scope. */
interface TokenTarget {
  audience: string;
  scope: string[];
}

/**
 * RFC 8707 §2: the `resource` parameter names the API the token is for. This server
 * issues tokens for two: the document API (config.audience) and its own admin API
 * (adminAudience). Anything else is `invalid_target`.
 */
function readResource(params: Params, config: Pick<Config, 'issuer' | 'audience'>): 'admin' | 'api' | undefined {
  const resource = params.get('resource');
  if (resource === undefined) return undefined;
  if (resource === adminAudience(config.issuer)) return 'admin';
  if (resource === config.audience) return 'api';
  throw new OAuthError('invalid_target', `the resource is not one this server issues tokens for: use ${config.audience} or ${adminAudience(config.issuer)}`);
}

function requestedScopeTokens(params: Params): string[] {
  return (params.get('scope') ?? '').split(' ').filter((token) => token !== '');
}

/**
 * Whether the request asks for an admin-API token: `gatehouse:admin` in the scope, the
 * admin API as `resource`, or neither scope nor resource from a client whose default
 * scope is gatehouse:admin.
 */
function asksForAdminApi(resource: 'admin' | 'api' | undefined, requested: readonly string[], client: Pick<Client, 'defaultScopes'>): boolean {
  if (resource === 'admin' || requested.includes(ADMIN_SCOPE)) return true;
  return resource === undefined && requested.length === 0 && client.defaultScopes.includes(ADMIN_SCOPE);
}

/**
 * An admin-API token (README, "Admin API tokens"): `aud` the admin API, scope exactly
 * gatehouse:admin. RFC 6749 §5.2 `invalid_scope` when the scope asks for more than that,
 * names another resource, or the client may not request gatehouse:admin; RFC 8707 §2
 * `invalid_target` when only the `resource` asked for the admin API and the client may
 * not have it. Only a confidential client that uses client_credentials alone may hold
 * the scope (the admin services enforce it at registration; checked here again for
 * records that predate the rule).
 */
function adminTarget(resource: 'admin' | 'api' | undefined, requested: readonly string[], client: Client, config: Pick<Config, 'issuer'>): TokenTarget {
  const others = requested.filter((token) => token !== ADMIN_SCOPE);
  if (others.length > 0) throw new OAuthError('invalid_scope', 'gatehouse:admin cannot be combined with other scopes: an admin API token carries it alone');
  if (resource === 'api') throw new OAuthError('invalid_scope', `gatehouse:admin is honoured only for the admin API (resource ${adminAudience(config.issuer)})`);
  const allowed = client.scopes.includes(ADMIN_SCOPE) && !client.isPublic && client.grantTypes.every((type) => type === 'client_credentials');
  if (!allowed) {
    if (requested.includes(ADMIN_SCOPE)) throw new OAuthError('invalid_scope', 'the client is not allowed to request the gatehouse:admin scope');
    throw new OAuthError('invalid_target', 'the client is not allowed to get tokens for the admin API');
  }
  return { audience: adminAudience(config.issuer), scope: [ADMIN_SCOPE] };
}

/**
 * A document-API token: `aud` config.audience, the requested scope (RFC 6749 §3.3). An
 * operator client belongs to no tenant, so it has nothing to act for there.
 */
function apiTarget(params: Params, client: Client, config: Pick<Config, 'issuer' | 'audience'>): TokenTarget {
  if (client.tenantId === null) throw new OAuthError('invalid_scope', 'an operator client gets admin API tokens only (scope gatehouse:admin)');
  const scope = resolveRequestedScope(params.get('scope'), client);
  // Only reachable through default scopes with resource=<document API>: never on a document-API token.
  if (scope.includes(ADMIN_SCOPE)) throw new OAuthError('invalid_scope', `gatehouse:admin is honoured only for the admin API (resource ${adminAudience(config.issuer)})`);
  return { audience: config.audience, scope };
}

/**
 * RFC 6749 §4.4: the client asks for a token on its own behalf. Only confidential
 * clients may (§4.4: "MUST only be used by confidential clients"); the token's subject
 * is the client itself and it acts for the client's tenant (an operator client's token
 * names no tenant). No refresh token (§4.4.3). The token is for the document API, or,
 * with gatehouse:admin or the admin API as RFC 8707 `resource`, for the admin API.
 */
export const clientCredentialsGrant: Grant = {
  type: 'client_credentials',
  allowsPublicClients: false,
  async handle({ authenticated: { client }, params, now }, deps) {
    const resource = readResource(params, deps.config);
    const requested = requestedScopeTokens(params);
    const { audience, scope } = asksForAdminApi(resource, requested, client) ? adminTarget(resource, requested, client, deps.config) : apiTarget(params, client, deps.config);
    const ttl = accessTokenTtlOf(client, deps.config);
    const tenant = client.tenantSlug ?? undefined;
    const { token } = await mintAccessToken({ client, subject: client.id, scope, tenant, ttl, audience }, deps, now);
    // RFC 6749 §3.3: a scope value is one or more scope tokens, so none granted means no member.
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, ...(scope.length > 0 ? { scope: scope.join(' ') } : {}) };
  },
};
