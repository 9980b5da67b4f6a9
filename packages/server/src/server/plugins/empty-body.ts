import { errorCodes, type FastifyInstance } from 'fastify';

/**
 * An empty body is no body, whatever its framing. Fastify parses any POST that carries
 * `Transfer-Encoding` (or a non-zero `Content-Length`) even without a `Content-Type`,
 * and finds no parser for "no media type": a client that frames an empty body as
 * `Transfer-Encoding: chunked` (RFC 9112 §7.1: a zero-size last chunk and nothing else)
 * got 415 on routes that take no body. This catch-all parser (only reached when no
 * other parser matches) accepts a body without `Content-Type` when it turns out to be
 * empty, and refuses everything else as before: a media type no route parses, or
 * content without a media type.
 */
export function acceptEmptyBodies(app: FastifyInstance): void {
  app.addContentTypeParser('*', (request, payload, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
      return;
    }
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      payload.removeAllListeners('data');
      if (error) done(error, undefined);
      else done(null, undefined);
    };
    // Content without a media type: refused at its first byte (the connection is then closed).
    payload.on('data', () => settle(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE()));
    payload.on('end', () => settle(null));
    payload.on('error', (error) => settle(error));
  });
}
