import { accessTokenTtlOf, mintAccessToken } from '../access-token.js';
import { resolveRequestedScope } from '../scope.js';
import type { Grant } from './types.js';

/**
 * RFC 6749 §4.4: the client asks for a token on its own behalf. Only confidential
 * clients may (§4.4: "MUST only be used by confidential clients"); the token's subject
 * is the client itself and it acts for the client's tenant. No refresh token (§4.4.3).
 */
export const clientCredentialsGrant: Grant = {
  type: 'client_credentials',
  allowsPublicClients: false,
  async handle({ authenticated: { client }, params, now }, deps) {
    const scope = resolveRequestedScope(params.get('scope'), client);
    const ttl = accessTokenTtlOf(client, deps.config);
    const { token } = await mintAccessToken({ client, subject: client.id, scope, tenant: client.tenantSlug, ttl }, deps, now);
    // RFC 6749 §3.3: a scope value is one or more scope tokens, so none granted means no member.
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, ...(scope.length > 0 ? { scope: scope.join(' ') } : {}) };
  },
};
