import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, ERROR_DESCRIPTION_CHARSET, ForbiddenError, NotFoundError, OAuthError, StorageUnavailableError, ValidationError } from '../../../core/errors.js';
import { BearerError } from '@gatehouse-auth/resource';

/**
 * The admin API's errors as RFC 9457 problem details (`application/problem+json`):
 * `type` is about:blank (§4.2.1: the status says it all) and `title` the status phrase;
 * `detail` is the message an operator reads, `code` a stable machine-readable name, and
 * for bad input `field` names the field at fault (with every schema violation listed in
 * `errors`). Bad input is never a 500; an unexpected error is a 500 whose detail stays
 * in the log.
 */
export interface ProblemBody {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  errors?: { in: string; field: string; detail: string }[];
}

export const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const RETRY_AFTER_SECONDS = '5';

/**
 * A problem's text in RFC 6749 §5.2's alphabet (%x20-21 / %x23-5B / %x5D-7E), as every
 * error body the server builds (issue 16): a message that quotes what the caller sent
 * (`invalid tenant slug "..."`, shared with the CLI) must not carry its control, bidi or
 * non-ASCII characters back, nor a quote or backslash.
 */
function plain(text: string): string {
  return ERROR_DESCRIPTION_CHARSET.test(text) ? text : text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
}

export function problem(status: number, code: string, detail: string, extra: Pick<ProblemBody, 'field' | 'errors'> = {}): ProblemBody {
  const { field, errors } = extra;
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail: plain(detail),
    code,
    ...(field === undefined ? {} : { field: plain(field) }),
    ...(errors === undefined ? {} : { errors: errors.map((error) => ({ in: error.in, field: plain(error.field), detail: plain(error.detail) })) }),
  };
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The field a schema violation is about: its JSON pointer without the leading slash, or the missing or unknown property. */
function fieldOf(error: SchemaError): string {
  const path = error.instancePath.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
  const named = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof named === 'string') return path === '' ? named : `${path}/${named}`;
  return path;
}

function describeSchemaError(error: SchemaError): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  return error.message ?? 'is invalid';
}

/** The problem and headers of any error thrown while serving the admin API. */
export function toProblem(error: unknown, request: FastifyRequest): { body: ProblemBody; headers: Record<string, string> } {
  const fastifyError = error as FastifyError & { validation?: SchemaError[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) {
    const where = fastifyError.validationContext === 'querystring' ? 'query' : (fastifyError.validationContext ?? 'body');
    // The first violation of each field, for every field at fault (allErrors is off: usually one).
    const errors = fastifyError.validation.map((violation) => ({ in: where, field: fieldOf(violation), detail: describeSchemaError(violation) }));
    const first = errors[0]!;
    const named = first.field === '' ? `the ${where}` : `${where === 'body' ? '' : `${where} `}field \`${first.field}\``;
    return { body: problem(400, 'invalid_request', `${named} ${first.detail}`.trim(), { field: first.field || where, errors }), headers: {} };
  }
  if (error instanceof ValidationError) return { body: problem(400, 'invalid_request', error.message, error.field ? { field: error.field } : {}), headers: {} };
  if (error instanceof NotFoundError) return { body: problem(404, 'not_found', error.message), headers: {} };
  if (error instanceof ForbiddenError) return { body: problem(403, 'forbidden', error.message), headers: {} };
  if (error instanceof ConflictError) return { body: problem(409, 'conflict', error.message), headers: {} };
  if (error instanceof StorageUnavailableError) {
    request.log.error({ err: error.cause }, 'storage unavailable');
    return { body: problem(503, 'temporarily_unavailable', 'the service is temporarily unavailable; retry later'), headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
  }
  // Authentication (RFC 6750 §3.1: 401 with no code when no token was sent, invalid_token
  // 401, insufficient_scope 403), with the WWW-Authenticate challenge as the verifier made it.
  if (error instanceof BearerError) {
    const headers: Record<string, string> = { 'WWW-Authenticate': error.wwwAuthenticate };
    if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter);
    return { body: problem(error.status, error.code ?? 'invalid_token', error.description), headers };
  }
  if (error instanceof OAuthError) {
    if (error.status >= 500) request.log.error({ err: error }, 'admin API error');
    return { body: problem(error.status, error.code, error.description), headers: error.headers };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // A route that reads another media type than JSON names it in its config (the logo: tenants.ts).
    const mediaTypes = request.routeOptions.config?.mediaTypes ?? 'application/json';
    const detail = status === 413 ? 'the request body is too large' : status === 415 ? `send the request body as ${mediaTypes}` : 'the request body is not valid JSON';
    return { body: problem(status === 413 || status === 415 ? status : 400, 'invalid_request', detail), headers: {} };
  }
  request.log.error({ err: error }, 'unexpected error');
  return { body: problem(500, 'server_error', 'the server encountered an unexpected error'), headers: {} };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(body.status).headers(headers).header('cache-control', 'no-store').type(PROBLEM_JSON).send(body);
}
