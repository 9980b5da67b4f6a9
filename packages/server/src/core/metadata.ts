import { SUPPORTED_AUTH_METHODS, type ClientAuthMethod } from './client-auth.js';
import type { Config } from './config.js';
import { GRANTS } from './grants/index.js';

/** RFC 8414 §2 authorization server metadata, plus the Gatehouse revocation feed. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  authorization_endpoint: string;
  response_types_supported: string[];
  code_challenge_methods_supported: string[];
  authorization_response_iss_parameter_supported: boolean;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: readonly ClientAuthMethod[];
  introspection_endpoint: string;
  introspection_endpoint_auth_methods_supported: readonly ClientAuthMethod[];
  revocation_endpoint: string;
  revocation_endpoint_auth_methods_supported: ClientAuthMethod[];
  gatehouse_revocation_feed_endpoint: string;
}

export interface MetadataDeps {
  config: Pick<Config, 'issuer'>;
}

/** The URLs of an issuer's endpoints: the one place that spells them (metadata, landing page). */
export function endpointUrls(issuer: string) {
  return {
    tokenEndpoint: `${issuer}/oauth/token`,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    authorizationEndpoint: `${issuer}/oauth/authorize`,
    introspectionEndpoint: `${issuer}/oauth/introspect`,
    revocationEndpoint: `${issuer}/oauth/revoke`,
    revocationFeedEndpoint: `${issuer}/oauth/revocations`,
    /** RFC 8414 §3.1: the well-known path goes before the issuer's path, at its origin. */
    metadataUrl: new URL(metadataPaths(issuer).at(-1)!, issuer).href,
  };
}

/**
 * The metadata document (RFC 8414 §3.2): the endpoints and what they support.
 *
 * No `scopes_supported`: RFC 8414 §2 makes it RECOMMENDED, not required, and "servers MAY
 * choose not to advertise some supported scope values". Scopes here are defined per tenant,
 * so the only list to give would be every tenant's scope names, to anyone who asks: that
 * tells one tenant's integrators about the others' APIs (issue 16). A client learns its own
 * scopes from its registration, and the token response's `scope` says what was granted.
 */
export async function readAuthorizationServerMetadata(deps: MetadataDeps): Promise<AuthorizationServerMetadata> {
  const { issuer } = deps.config;
  const urls = endpointUrls(issuer);
  return {
    issuer,
    token_endpoint: urls.tokenEndpoint,
    jwks_uri: urls.jwksUri,
    authorization_endpoint: urls.authorizationEndpoint,
    // 'token' (legacy implicit, RFC 9700 §2.1.2) only for clients registered with it.
    response_types_supported: ['code', 'token'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    grant_types_supported: [...GRANTS.keys()],
    token_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
    introspection_endpoint: urls.introspectionEndpoint,
    introspection_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
    revocation_endpoint: urls.revocationEndpoint,
    // Public clients may revoke their own tokens with their client_id alone (RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS, 'none'],
    // Gatehouse extension (docs/resource-server.md): the revocation feed resource servers follow.
    gatehouse_revocation_feed_endpoint: urls.revocationFeedEndpoint,
  };
}

/**
 * Where the metadata is served. RFC 8414 §3.1: for an issuer with a path
 * (https://example.com/auth) clients look it up at
 * /.well-known/oauth-authorization-server/auth; it is served there too.
 */
export function metadataPaths(issuer: string): string[] {
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  return ['/.well-known/oauth-authorization-server', ...(issuerPath ? [`/.well-known/oauth-authorization-server${issuerPath}`] : [])];
}
