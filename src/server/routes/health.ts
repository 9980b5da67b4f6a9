import type { FastifyInstance } from 'fastify';
import type { Gatehouse } from '../context.js';

/** Liveness plus a storage round trip: 200 when the database answers, 503 otherwise. */
export async function healthRoutes(app: FastifyInstance, { gatehouse }: { gatehouse: Gatehouse }): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    await gatehouse.storage.ping();
    return reply.send({ status: 'ok' });
  });
}
