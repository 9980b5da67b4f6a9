import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Gatehouse } from './context.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { healthRoutes } from './routes/health.js';
import { oauthRoutes } from './routes/oauth.js';
import { wellKnownRoutes } from './routes/well-known.js';

export interface BuildAppOptions {
  /** Fastify logger option; false for silence (tests). Defaults to JSON logs at the configured level. */
  logger?: FastifyServerOptions['logger'];
}

/** Log the path only: query strings can carry tokens (`?access_token=`) and must not be logged. */
const requestSerializer = (request: { method: string; url: string; ip?: string }) => ({
  method: request.method,
  path: request.url.split('?', 1)[0],
  remoteAddress: request.ip,
});

/** The composition root: one Fastify instance serving a Gatehouse. */
export async function buildApp(gatehouse: Gatehouse, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = gatehouse;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel, serializers: { req: requestSerializer } },
    trustProxy: config.trustProxy,
    bodyLimit: config.tokenBodyLimit,
    // Bad input never yields a 500: these make malformed URLs and headers plain 400s.
    return503OnClosing: true,
  });
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  await app.register(oauthRoutes, { gatehouse });
  await app.register(wellKnownRoutes, { gatehouse });
  await app.register(healthRoutes, { gatehouse });
  return app;
}
