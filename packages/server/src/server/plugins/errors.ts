import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, StorageUnavailableError } from '../../core/errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { SECURITY_HEADERS } from './security-headers.js';

const RETRY_AFTER_SECONDS = '5';

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply.code(error.status).headers(error.headers).header('cache-control', 'no-store').header('pragma', 'no-cache').send(error.toJSON());
}

/**
 * The one error serializer. OAuthErrors go out as RFC 6749 §5.2 JSON; storage outages
 * as 503 `temporarily_unavailable` with Retry-After; Fastify's own 4xx errors (body too
 * large, unreadable body) as `invalid_request`; anything else as a generic
 * `server_error` whose detail stays in the log.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | OAuthError | StorageUnavailableError, request, reply) => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    if (error instanceof StorageUnavailableError) {
      request.log.error({ err: error.cause }, 'storage unavailable');
      return sendOAuthError(
        reply,
        new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable; retry later', {
          headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        }),
      );
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const description =
        status === 413 ? 'the request body is too large' : status === 415 ? 'unsupported request body media type' : 'the request could not be read';
      return sendOAuthError(reply, new OAuthError('invalid_request', description, { status: status === 415 ? 400 : status }));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendOAuthError(reply, new OAuthError('server_error', 'the server encountered an unexpected error'));
  });

  app.setNotFoundHandler((_request, reply) => {
    // Names neither the method nor the path: both are client input (RFC 6749 §5.2 charset).
    const description = 'no route matches the request method and path';
    reply.code(404).send({ error: 'not_found', error_description: description, message: description });
  });
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a URL that cannot
 * be decoded, such as `/oauth/%zz`; an overlong path parameter) go through the same
 * serializer as every other error, as `invalid_request`, and never echo the URL. They
 * bypass the hooks, so the security headers and the request id are set here.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const description = error.code === 'FST_ERR_BAD_URL' ? 'the request URL is malformed' : 'the request could not be read';
  return sendOAuthError(reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id), new OAuthError('invalid_request', description, { status }));
}
