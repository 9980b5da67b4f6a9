/**
 * The document API's error answers, in the authorization server's JSON shape (RFC 6749
 * §5.2 with a `message` copy), so a client sees one error format on the whole server.
 */
import type { FastifyReply } from 'fastify';

/** How long a client should wait before retrying when the file store is down (seconds). */
const RETRY_AFTER_SECONDS = '5';

export class ApiError extends Error {
  readonly status: number;
  /** The `error` code: `invalid_request`, `not_found`, `temporarily_unavailable`. */
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, description: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (description: string, cause?: unknown) => new ApiError(400, 'invalid_request', description, { cause });

/** 404 for a file that does not exist, is another tenant's, or has a malformed id: the same answer. */
export const notFound = (description: string) => new ApiError(404, 'not_found', description);

export const tooLarge = (description: string) => new ApiError(413, 'invalid_request', description);

export const unavailable = () =>
  new ApiError(503, 'temporarily_unavailable', 'the service is temporarily unavailable; retry later', { headers: { 'retry-after': RETRY_AFTER_SECONDS } });

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: error.code, error_description: error.message, message: error.message });
}
