import type { FastifyInstance } from 'fastify';
import { OAuthError, StorageUnavailableError } from '../../core/errors.js';
import type { Gatehouse } from '../context.js';

/**
 * GET /healthz: 200 `{"status":"ok"}` when the database answers and a signing key can
 * be loaded (the server can issue tokens), else 503 `temporarily_unavailable`. Redis is
 * optional hot state (the server works without it): when it is configured but down the
 * answer is still 200, with `"redis":"unavailable"`.
 */
export async function healthRoutes(app: FastifyInstance, { gatehouse }: { gatehouse: Gatehouse }): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    await gatehouse.storage.ping();
    try {
      await gatehouse.keys.signingKey();
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw error;
      request.log.error({ err: error }, 'no signing key can be loaded');
      throw new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable; retry later', { headers: { 'Retry-After': '5' } });
    }
    const redis = gatehouse.redis;
    if (redis && !(await redis.available())) return reply.send({ status: 'ok', redis: 'unavailable' });
    return reply.send({ status: 'ok' });
  });
}
