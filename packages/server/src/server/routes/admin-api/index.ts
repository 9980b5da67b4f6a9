import swagger from '@fastify/swagger';
import { Ajv, type ValidateFunction } from 'ajv';
import fastJson from 'fast-json-stringify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminPrincipal } from '../../../core/admin/principal.js';
import type { Config } from '../../../core/config.js';
import type { Services } from '../../services.js';
import { adminAccountRoutes } from './admin-accounts.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import { keyRoutes } from './keys.js';
import { operatorClientRoutes } from './operator-clients.js';
import { problem, sendProblem, toProblem } from './problems.js';
import { scopeRoutes } from './scopes.js';
import type { AdminRouteContext } from './shared.js';
import { tenantRoutes } from './tenants.js';
import { userRoutes } from './users.js';

/** Where the admin API lives; its OpenAPI document is at `${ADMIN_API_PREFIX}/openapi.json`. */
export const ADMIN_API_PREFIX = '/admin/api';
export const ADMIN_API_V1 = `${ADMIN_API_PREFIX}/v1`;

export interface AdminApiOptions {
  config: Pick<Config, 'issuer'>;
  services: Pick<Services, 'adminFor'>;
  /**
   * Who is calling, from the Authorization header: a `gatehouse:admin` bearer token for
   * the admin API's audience. Throws an OAuthError (RFC 6750 §3.1: invalid_token 401,
   * insufficient_scope 403, with WWW-Authenticate) when the caller is not an admin.
   */
  authenticate(authorization: string | undefined): Promise<AdminPrincipal>;
}

/**
 * The admin API (issue 14): JSON over HTTP under /admin/api/v1, for automation with a
 * `gatehouse:admin` token. Every route validates its request with a TypeBox schema, calls
 * one operation of the caller's ScopedAdmin (core/admin/scoped.ts decides who may do
 * what) and answers with a resource of core/admin/resources.ts; every error is an RFC
 * 9457 problem (problems.ts). The OpenAPI 3.1 document is generated from the same
 * schemas by @fastify/swagger.
 */
export async function adminApiRoutes(app: FastifyInstance, options: AdminApiOptions): Promise<void> {
  const { config, services, authenticate } = options;

  // Request bodies are validated as sent: an unknown field is refused (a typo must not
  // be ignored silently) and nothing is coerced; query strings and path parameters are
  // text, so numbers in them are read as numbers.
  const bodies = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false });
  const text = new Ajv({ allErrors: false, coerceTypes: true, removeAdditional: false, useDefaults: false, strict: false });
  // A route whose body fields are all optional (rotate-secret, keys/rotate, PATCH) may be
  // called without a body: it is then read as `{}`.
  // Validators and serializers are compiled on a route's first request, not when the app
  // starts: some thirty routes would otherwise add most of a second to every start.
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'body') {
      let validate: ValidateFunction | undefined;
      return (data: unknown) => {
        validate ??= text.compile(schema);
        return validate(data) ? true : { error: validate.errors as unknown as Error };
      };
    }
    // A raw body (a logo) is bytes: what they hold is for the service to check.
    if ((schema as { format?: unknown }).format === 'binary') return (data: unknown) => ({ value: data });
    let validate: ValidateFunction | undefined;
    return (data: unknown) => {
      validate ??= bodies.compile(schema);
      const body = data ?? {};
      return validate(body) ? { value: body } : { error: validate.errors as unknown as Error };
    };
  });
  // Answers are written by their response schema (fast-json-stringify, as Fastify does by
  // default): a property a schema does not name is never sent.
  app.setSerializerCompiler(({ schema }) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => (serialize ??= fastJson(schema as Parameters<typeof fastJson>[0]))(data);
  });

  app.setErrorHandler((error, request, reply) => {
    const { body, headers } = toProblem(error, request);
    return sendProblem(reply, body, headers);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, 'not_found', `no route for ${request.method} ${request.url.split('?', 1)[0]}`)));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse admin API',
        version: '1',
        description: 'Manage tenants, clients, scopes, users, grants, admin accounts, signing keys and the audit log. Errors are RFC 9457 problem details (application/problem+json). See docs/admin-api.md.',
      },
      servers: [{ url: config.issuer }],
      components: {
        securitySchemes: {
          gatehouseAdmin: {
            type: 'oauth2',
            description: 'a client_credentials access token with the scope gatehouse:admin, for the audience <issuer>/admin/api, sent as a Bearer token (RFC 6750)',
            flows: { clientCredentials: { tokenUrl: `${config.issuer}/oauth/token`, scopes: { 'gatehouse:admin': 'administer the deployment (operator clients) or one tenant (tenant admin clients)' } } },
          },
        },
      },
      security: [{ gatehouseAdmin: ['gatehouse:admin'] }],
    },
  });

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));

  const principals = new WeakMap<FastifyRequest, AdminPrincipal>();
  const context: AdminRouteContext = {
    adminOf(request) {
      const principal = principals.get(request);
      // The onRequest hook below has run for every /v1 route: a missing principal is a bug.
      if (!principal) throw new Error('admin API route reached without authentication');
      return services.adminFor(principal);
    },
  };

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request) => {
        principals.set(request, await authenticate(request.headers.authorization));
      });
      // JSON only: a form or text body is refused rather than guessed at. (Bytes come only
      // from the image parser of the logo routes, tenants.ts.)
      v1.addHook('preValidation', async (request) => {
        if (request.body === undefined || Buffer.isBuffer(request.body)) return;
        const type = request.headers['content-type'] ?? '';
        if (!/^application\/json\s*(;|$)/i.test(type)) throw Object.assign(new Error('unsupported media type'), { statusCode: 415 });
      });
      await v1.register(tenantRoutes, context);
      await v1.register(clientRoutes, context);
      await v1.register(scopeRoutes, context);
      await v1.register(userRoutes, context);
      await v1.register(operatorClientRoutes, context);
      await v1.register(adminAccountRoutes, context);
      await v1.register(keyRoutes, context);
      await v1.register(auditRoutes, context);
    },
    { prefix: '/v1' },
  );
}
