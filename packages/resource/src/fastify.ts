import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BearerError } from './errors.js';
import { nodeHeaders } from './request.js';
import { validateRequirements, type RouteRequirements } from './requirements.js';
import type { AccessTokenClaims } from './token-checks.js';
import { verifyRequest, type Verifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified access token's claims; null on public routes (set by gatehouseResource).
     * `getAccessToken(request)` gives it non-null, for the handlers of routes that require a token.
     */
    accessToken: AccessTokenClaims | null;
  }
  interface FastifyContextConfig {
    /** The route's access token requirements (gatehouseResource). Absent: a valid token is required. */
    auth?: RouteRequirements;
  }
}

export interface GatehouseResourceOptions {
  verifier: Verifier;
}

/**
 * Protects every route of the instance it is registered on (and of its children): a
 * route without `config.auth` requires a valid access token with the default
 * requirements (secure by default); `config: { auth: { public: true } }` opts out.
 *
 * ```ts
 * await app.register(gatehouseResource, { verifier });
 * app.get('/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, async (request) =>
 *   listFiles(getAccessToken(request).tenant),
 * );
 * ```
 *
 * Unknown URLs still answer 404, not 401.
 */
export async function gatehouseResource(app: FastifyInstance, options: GatehouseResourceOptions): Promise<void> {
  const { verifier } = options;
  if (!verifier || typeof verifier.verify !== 'function') throw new TypeError('gatehouseResource: the verifier option is required');
  if (!app.hasRequestDecorator('accessToken')) app.decorateRequest('accessToken', null);
  // A misconfigured route fails at startup, not on its first request.
  app.addHook('onRoute', (route) => {
    const auth = (route.config as { auth?: RouteRequirements } | undefined)?.auth;
    if (auth !== undefined) validateRequirements(auth);
  });

  // Callback style: a token verified before is answered without a promise (verifyNow);
  // only the first sight of a token, or a key or feed still loading, waits for verify().
  app.addHook('onRequest', (request, reply, done) => {
    request.accessToken = null;
    if (request.is404) return done();
    const requirements = requirementsOf(request);
    const verifiable = { headers: nodeHeaders(request.headers, request.raw.rawHeaders), url: request.url };
    const settle = (error: unknown): void => {
      // An early answer ends the request: done() is not called after reply.send() (Fastify's hook contract).
      if (error instanceof BearerError) sendBearerError(reply, error);
      else done(error as Error);
    };
    verifyRequest(
      verifier,
      verifiable,
      requirements,
      (claims) => {
        request.accessToken = claims;
        done();
      },
      settle,
    );
  });

  // RFC 6750 §2.3 / §5.3: a URL carrying a token must not be cached or leak through Referer.
  // Set late so that no handler can undo it, on every response of such a route.
  // Callback style: an async hook would cost every response a promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!request.is404 && requirementsOf(request).queryToken) {
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
    }
    done(null, payload);
  });
}

// Hooks of this plugin apply to the instance that registers it, as with fastify-plugin
// (which Gatehouse does not depend on).
Object.assign(gatehouseResource, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'gatehouse-resource',
});

function requirementsOf(request: FastifyRequest): RouteRequirements {
  return request.routeOptions.config?.auth ?? {};
}

function sendBearerError(reply: FastifyReply, error: BearerError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply
    .code(error.status)
    .header('www-authenticate', error.wwwAuthenticate)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(error.toJSON()));
}
