import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** The header a request id arrives in (from a proxy or a client) and goes back in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Longest incoming id kept; a longer one is replaced (a log line is no place for a payload). */
export const MAX_REQUEST_ID_LENGTH = 128;

// RFC 9110 §5.6.2 token characters, plus `/`, `=` and `:` (base64 ids, tracing formats).
// Nothing else: no spaces, quotes, controls or non-ASCII in a log line or a response header.
const REQUEST_ID = new RegExp(`^[A-Za-z0-9!#$%&'*+.^_\`|~/=:-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/**
 * Fastify's `genReqId`: the incoming `X-Request-Id` when it is one short printable token
 * (so a proxy's id follows the request through every log line), else a fresh UUID. Fastify's
 * own `requestIdHeader` would take any value unchecked, so it stays off and this reads the header.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const requestLogs = new AsyncLocalStorage<FastifyBaseLogger>();

/**
 * The logger of the request being served (its lines carry `reqId`), or undefined outside a
 * request. For code that logs without a request at hand, such as the audit sink.
 */
export function currentRequestLog(): FastifyBaseLogger | undefined {
  return requestLogs.getStore();
}

/**
 * Echoes the request id in `X-Request-Id` on every response and makes request.log the
 * current request logger (currentRequestLog) for everything the request's hooks and
 * handler call. Register first: hooks run in registration order.
 */
export function registerRequestIds(app: FastifyInstance): void {
  // Callback style, so that `run` covers the hooks and handler that `done` goes on to call.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    requestLogs.run(request.log, done);
  });
  // The body arrives through socket events, outside the context entered above: enter it
  // again once the body is parsed, for the handler.
  app.addHook('preValidation', (request, _reply, done) => {
    requestLogs.run(request.log, done);
  });
}
