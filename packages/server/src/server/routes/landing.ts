import type { FastifyInstance } from 'fastify';
import { endpointUrls } from '../../core/metadata.js';
import { landingPage, type LandingPageModel } from '../../web/landing.js';
import { PAGE_SECURITY_HEADERS } from '../../web/pages.js';
import type { RouteOptions } from './oauth.js';

/**
 * GET / (and HEAD /): a small page saying what this server is, with links to its metadata
 * and keys. Built from the issuer alone, once: it reads no storage.
 */
export async function landingRoutes(app: FastifyInstance, { config, site }: RouteOptions): Promise<void> {
  const body = landingPage(landingModel(config.issuer), site);
  app.get('/', async (_request, reply) => reply.headers(PAGE_SECURITY_HEADERS).send(body));
}

/** The public URLs of an issuer, as its metadata (core/metadata.ts) names them. */
export function landingModel(issuer: string): LandingPageModel {
  const urls = endpointUrls(issuer);
  return {
    issuer,
    metadataUrl: urls.metadataUrl,
    jwksUrl: urls.jwksUri,
    authorizationEndpoint: urls.authorizationEndpoint,
    tokenEndpoint: urls.tokenEndpoint,
    introspectionEndpoint: urls.introspectionEndpoint,
    revocationEndpoint: urls.revocationEndpoint,
  };
}
