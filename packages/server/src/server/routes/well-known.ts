import type { FastifyInstance } from 'fastify';
import { metadataPaths } from '../../core/metadata.js';
import type { RouteOptions } from './oauth.js';

/** RFC 8414 metadata and the JWKS (RFC 7517), cacheable for `discoveryMaxAge` seconds. */
export async function wellKnownRoutes(app: FastifyInstance, { config, services }: RouteOptions): Promise<void> {
  const cacheControl = `public, max-age=${config.discoveryMaxAge}`;

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const jwks = await services.jwks();
    return reply.header('cache-control', cacheControl).type('application/jwk-set+json; charset=utf-8').send(JSON.stringify(jwks));
  });

  for (const path of metadataPaths(config.issuer)) {
    app.get(path, async (_request, reply) => reply.header('cache-control', cacheControl).send(await services.metadata()));
  }
}
