import type { FastifyInstance } from 'fastify';
import { SUPPORTED_AUTH_METHODS } from '../../core/client-auth.js';
import { GRANTS } from '../../core/grants/index.js';
import type { Gatehouse } from '../context.js';

/** RFC 8414 metadata and the JWKS (RFC 7517), cacheable for `discoveryMaxAge` seconds. */
export async function wellKnownRoutes(app: FastifyInstance, { gatehouse }: { gatehouse: Gatehouse }): Promise<void> {
  const { config, keys, storage } = gatehouse;
  const cacheControl = `public, max-age=${config.discoveryMaxAge}`;
  const issuer = config.issuer;

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const jwks = await keys.jwks();
    return reply.header('cache-control', cacheControl).type('application/jwk-set+json; charset=utf-8').send(JSON.stringify(jwks));
  });

  // RFC 8414 §3.1: for an issuer with a path (https://example.com/auth) clients look the
  // metadata up at /.well-known/oauth-authorization-server/auth; it is served there too.
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  const metadataPaths = ['/.well-known/oauth-authorization-server', ...(issuerPath ? [`/.well-known/oauth-authorization-server${issuerPath}`] : [])];
  for (const path of metadataPaths) {
    app.get(path, async (_request, reply) => {
      const scopes = await storage.scopes.listScopeNames();
      return reply.header('cache-control', cacheControl).send({
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        scopes_supported: scopes,
        authorization_endpoint: `${issuer}/oauth/authorize`,
        // 'token' (legacy implicit, RFC 9700 §2.1.2) only for clients registered with it.
        response_types_supported: ['code', 'token'],
        code_challenge_methods_supported: ['S256'],
        // RFC 9207: every authorization response carries `iss`.
        authorization_response_iss_parameter_supported: true,
        grant_types_supported: [...GRANTS.keys()],
        token_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        introspection_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        // Public clients may revoke their own tokens with their client_id alone (RFC 7009 §2.1).
        revocation_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS, 'none'],
        // Gatehouse extension (docs/resource-server.md): the revocation feed resource servers follow.
        gatehouse_revocation_feed_endpoint: `${issuer}/oauth/revocations`,
      });
    });
  }
}
