import type { FastifyInstance, FastifyRequest } from 'fastify';
import { codeDigestKey } from '../../core/authorization-codes.js';
import { OAuthError } from '../../core/errors.js';
import { refreshTokenDigestKey } from '../../core/refresh-tokens.js';
import type { OAuthRequest } from '../../core/params.js';
import { handleIntrospectionRequest } from '../../core/introspection.js';
import { handleRevocationFeedRequest } from '../../core/revocation-feed.js';
import { handleRevocationRequest } from '../../core/revocation.js';
import { handleTokenRequest } from '../../core/token-endpoint.js';
import type { Gatehouse } from '../context.js';

export function toOAuthRequest(request: FastifyRequest): OAuthRequest {
  const question = request.url.indexOf('?');
  return {
    contentType: request.headers['content-type'],
    body: typeof request.body === 'string' ? request.body : undefined,
    query: question === -1 ? '' : request.url.slice(question + 1),
    authorization: request.headers.authorization,
    ip: request.ip,
  };
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * The OAuth endpoints. Bodies are read as raw text whatever their media type; the
 * protocol engine decides what is acceptable (RFC 6749 §3.2 requires
 * application/x-www-form-urlencoded), so a wrong media type is an OAuth error, not a 415.
 */
export async function oauthRoutes(app: FastifyInstance, { gatehouse }: { gatehouse: Gatehouse }): Promise<void> {
  const { config, storage, keys, throttle, digestKey } = gatehouse;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: config.tokenBodyLimit }, (_request, body, done) => done(null, body));

  const authDeps = { clients: storage.clients, throttle, digestKey, config };
  const refreshTokenDigest = refreshTokenDigestKey(gatehouse.masterKey.key);
  const tokenDeps = {
    ...authDeps,
    keys,
    codes: storage.codes,
    grants: storage.grants,
    refreshTokens: storage.refreshTokens,
    users: storage.users,
    codeDigestKey: codeDigestKey(gatehouse.masterKey.key),
    refreshTokenDigestKey: refreshTokenDigest,
  };
  const lookupDeps = {
    ...authDeps,
    keys,
    revocations: storage.revocations,
    grants: storage.grants,
    refreshTokens: storage.refreshTokens,
    refreshTokenDigestKey: refreshTokenDigest,
  };

  app.post('/oauth/token', async (request, reply) => {
    const response = await handleTokenRequest(toOAuthRequest(request), tokenDeps, Date.now());
    return reply.headers(NO_STORE).send(response);
  });

  app.post('/oauth/introspect', async (request, reply) => {
    const response = await handleIntrospectionRequest(toOAuthRequest(request), lookupDeps, Date.now());
    return reply.headers(NO_STORE).send(response);
  });

  app.post('/oauth/revoke', async (request, reply) => {
    await handleRevocationRequest(toOAuthRequest(request), lookupDeps, Date.now());
    return reply.headers(NO_STORE).code(200).send();
  });

  // The revocation feed that resource servers follow (docs/resource-server.md).
  const feedDeps = { ...authDeps, revocations: storage.revocations };
  app.get('/oauth/revocations', async (request, reply) => {
    const changes = await handleRevocationFeedRequest(toOAuthRequest(request), feedDeps, Date.now());
    return reply.headers(NO_STORE).send(changes);
  });

  // RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1: these endpoints take POST only.
  for (const url of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: async () => {
        throw new OAuthError('invalid_request', `${url} accepts POST only`, { status: 405, headers: { allow: 'POST' } });
      },
    });
  }
}
