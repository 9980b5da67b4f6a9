import type { Site } from '../../web/site.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.js';
import { OAuthError } from '../../core/errors.js';
import type { OAuthRequest } from '../../core/params.js';
import type { Services } from '../services.js';

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

export interface RouteOptions {
  config: Config;
  services: Services;
  /** The deployment's branding and templates, read once at start: pass it to layout({ site }). */
  site: Site;
}

/**
 * The OAuth endpoints. Bodies are read as raw text whatever their media type; the
 * protocol engine decides what is acceptable (RFC 6749 §3.2 requires
 * application/x-www-form-urlencoded), so a wrong media type is an OAuth error, not a 415.
 */
export async function oauthRoutes(app: FastifyInstance, { config, services }: RouteOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: config.tokenBodyLimit }, (_request, body, done) => done(null, body));

  app.post('/oauth/token', async (request, reply) => {
    const response = await services.token(toOAuthRequest(request), Date.now());
    return reply.headers(NO_STORE).send(response);
  });

  app.post('/oauth/introspect', async (request, reply) => {
    const response = await services.introspect(toOAuthRequest(request), Date.now());
    return reply.headers(NO_STORE).send(response);
  });

  app.post('/oauth/revoke', async (request, reply) => {
    await services.revoke(toOAuthRequest(request), Date.now());
    return reply.headers(NO_STORE).code(200).send();
  });

  // The revocation feed that resource servers follow (docs/resource-server.md).
  app.get('/oauth/revocations', async (request, reply) => {
    const changes = await services.revocationFeed(toOAuthRequest(request), Date.now());
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
