import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { loadSite } from '../web/site.js';
import type { Gatehouse } from './context.js';
import { acceptEmptyBodies } from './plugins/empty-body.js';
import { handleFrameworkError, registerErrorHandling } from './plugins/errors.js';
import { registerRequestIds, requestIdFor } from './plugins/request-id.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import type { Lifecycle } from './lifecycle.js';
import { mountDocumentApi, prepareDocumentApi, type PreparedDocumentApi } from './mounts.js';
import { assetRoutes } from './routes/assets.js';
import { adminRoutes } from './routes/admin/index.js';
import { ADMIN_API_PREFIX, adminApiRoutes } from './routes/admin-api/index.js';
import { accountRoutes } from './routes/account.js';
import { authorizeRoutes } from './routes/authorize.js';
import { healthRoutes } from './routes/health.js';
import { landingRoutes } from './routes/landing.js';
import { oauthRoutes } from './routes/oauth.js';
import { wellKnownRoutes } from './routes/well-known.js';

export interface BuildAppOptions {
  /** Fastify logger option; false for silence (tests). Defaults to JSON logs at the configured level. */
  logger?: FastifyServerOptions['logger'];
  /** The environment the mounted example app reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The demo document API as prepareDocumentApi found it (`gatehouse serve` prepares it before opening the database); prepared here from `env` when absent. */
  documentApi?: PreparedDocumentApi;
  /** Draining state (server/lifecycle.ts): while draining, every response says `Connection: close` and /healthz answers 503. */
  lifecycle?: Lifecycle;
}

/**
 * The path as logged: never the query (it can carry tokens, `?access_token=`), and never the
 * id of a demo download link (`/files/<id>/download`: the id is the bearer secret of the link).
 */
export function loggedPath(url: string, route?: string): string {
  // By the route that served it, not the raw text: Fastify decodes the path before routing,
  // so `/%66iles/<id>/download` is a download too.
  if (route !== undefined && route.startsWith('/files/:')) return route.replace(/:[A-Za-z_]+/, '[redacted]');
  return url.split('?', 1)[0]!.replace(/^\/files\/[^/]+\/download/, '/files/[redacted]/download');
}

const requestSerializer = (request: { method: string; url: string; ip?: string; routeOptions?: { url?: string } }) => ({
  method: request.method,
  path: loggedPath(request.url, request.routeOptions?.url),
  remoteAddress: request.ip,
});

/**
 * Headers that plugins may log whole (at trace level @fastify/multipart logs the options it
 * gives busboy, request headers included): credentials in them are replaced, never written.
 */
const REDACT = {
  paths: ['busboyOptions.headers', '*.headers.authorization', '*.headers.cookie', '*.headers["proxy-authorization"]', 'headers.authorization', 'headers.cookie'],
  censor: '[redacted]',
};

/** Access-log lines of successful revocation-feed polls (resource servers poll it every second) are debug, not info. */
const QUIET_ROUTES = new Set(['/oauth/revocations']);

/**
 * Fastify's `trustProxy` for the validated `trustProxy` setting: '' trusts no proxy; a
 * list of addresses/CIDR ranges is passed through; a hop count trusts that many hops
 * nearest the server, whoever they are (Fastify 5 turns a numeric trustProxy into "trust
 * nothing", so the count is given as a function: hop 0 is the socket peer).
 */
export function fastifyTrustProxy(trustProxy: string): false | string | ((address: string, hop: number) => boolean) {
  if (trustProxy === '') return false;
  if (!/^\d+$/.test(trustProxy)) return trustProxy;
  const hops = Number(trustProxy);
  return (_address, hop) => hop < hops;
}

const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

/** The composition root: one Fastify instance serving a Gatehouse. */
export async function buildApp(gatehouse: Gatehouse, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = gatehouse;
  const app = Fastify({
    // A logger option given (tests) keeps the request serializer: what is logged stays the same.
    logger:
      options.logger === undefined
        ? { level: config.logLevel, serializers: { req: requestSerializer }, redact: REDACT }
        : options.logger && typeof options.logger === 'object'
          ? { ...options.logger, serializers: { req: requestSerializer, ...options.logger.serializers }, redact: REDACT }
          : options.logger,
    // Only the configured proxies' X-Forwarded-For decides request.ip (the throttled address).
    trustProxy: fastifyTrustProxy(config.trustProxy),
    bodyLimit: config.tokenBodyLimit,
    // Slow clients cannot hold sockets for Node's minutes: a request's headers, the whole
    // request and an idle keep-alive connection each have a bound (config.ts). Node enforces
    // the first two on a sweep every connectionsCheckingInterval (30s by default): 1s here.
    http: { headersTimeout: config.headersTimeout * 1000, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    requestTimeout: config.requestTimeout * 1000,
    keepAliveTimeout: config.keepAliveTimeout * 1000,
    // Bad input never yields a 500, nor Fastify's own error body: a URL that cannot be
    // decoded (`/oauth/%zz`) goes through our serializer as 400 invalid_request.
    frameworkErrors: handleFrameworkError,
    // While closing (graceful shutdown), new requests get 503 so a load balancer retries
    // them on another node.
    return503OnClosing: true,
    // One access-log line per request (below), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Every log line of a request carries its id (`reqId`), echoed in X-Request-Id.
    genReqId: requestIdFor,
  });
  // Beyond this many open connections, Node closes a new one at once (per process).
  app.server.maxConnections = config.maxConnections;
  registerRequestIds(app);
  if (['trace', 'debug', 'info'].includes(app.log.level)) {
    // When it is answered: method, path (never the query), address, status and time.
    app.addHook('onResponse', async (request, reply) => {
      const line = { req: request, res: reply, responseTime: reply.elapsedTime };
      if (reply.statusCode < 400 && QUIET_ROUTES.has(request.routeOptions.url ?? '')) request.log.debug(line, 'request completed');
      else request.log.info(line, 'request completed');
    });
  }
  const { lifecycle } = options;
  if (lifecycle) {
    // Draining (SIGTERM): every response closes its connection, so keep-alive clients open
    // their next one elsewhere instead of finding this socket closed under a request.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (lifecycle.draining) reply.header('connection', 'close');
      done(null, payload);
    });
  }
  // --- metrics (issue 15; server/metrics.ts): labelled by route template, never the raw path ---
  const { metrics } = gatehouse;
  if (metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      metrics.observeRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  // --- end of metrics ---
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  // Before the routes, so every route context inherits it (oauth.ts replaces it with its own).
  acceptEmptyBodies(app);
  // Routes get the application built once in context.ts (services.ts), never storage or keys.
  // The deployment's branding and the operator's templates: read once, here (a bad file stops the start).
  const routes = { config, services: gatehouse.services, site: loadSite(config) };
  await app.register(assetRoutes, routes);
  await app.register(oauthRoutes, routes);
  await app.register(wellKnownRoutes, routes);
  await app.register(authorizeRoutes, routes);
  await app.register(accountRoutes, routes);
  await app.register(healthRoutes, { ...routes, lifecycle });
  await app.register(landingRoutes, routes);
  await app.register(adminRoutes, routes);
  await app.register(adminApiRoutes, {
    ...routes,
    prefix: ADMIN_API_PREFIX,
    authenticate: (authorization) => gatehouse.services.adminAuthentication(authorization),
  });
  // The demo document API (examples/document-api), for loopback issuers: see mounts.ts.
  await mountDocumentApi(app, gatehouse, options.documentApi ?? (await prepareDocumentApi(config.issuer, { env: options.env })));
  return app;
}
