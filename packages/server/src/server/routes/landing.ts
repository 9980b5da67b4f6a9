import type { FastifyInstance } from 'fastify';
import { metadataPaths } from '../../core/metadata.js';
import { landingPage, type LandingPageModel } from '../../web/landing.js';
import { PAGE_SECURITY_HEADERS } from '../../web/pages.js';
import type { RouteOptions } from './oauth.js';

/**
 * GET / (and HEAD /): a small page saying what this server is, with links to its metadata
 * and keys. Built from the issuer alone, once: it reads no storage.
 */
export async function landingRoutes(app: FastifyInstance, { config }: RouteOptions): Promise<void> {
  const body = landingPage(landingModel(config.issuer));
  app.get('/', async (_request, reply) => reply.headers(PAGE_SECURITY_HEADERS).send(body));
}

/** The public URLs of an issuer, as its metadata (core/metadata.ts) names them. */
export function landingModel(issuer: string): LandingPageModel {
  // RFC 8414 §3.1: the well-known path goes before the issuer's path, at its origin.
  const metadataPath = metadataPaths(issuer).at(-1)!;
  return {
    issuer,
    metadataUrl: new URL(metadataPath, issuer).href,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    authorizationEndpoint: `${issuer}/oauth/authorize`,
    tokenEndpoint: `${issuer}/oauth/token`,
    introspectionEndpoint: `${issuer}/oauth/introspect`,
    revocationEndpoint: `${issuer}/oauth/revoke`,
  };
}
