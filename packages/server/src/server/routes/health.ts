import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../core/errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Services } from '../services.js';

/**
 * GET /healthz: 200 `{"status":"ok"}` when the database answers and a signing key can
 * be loaded (the server can issue tokens), else 503 `temporarily_unavailable`. Redis is
 * optional hot state (the server works without it): when it is configured but down the
 * answer is still 200, with `"redis":"unavailable"`. While the process drains (SIGTERM) it
 * answers 503 `{"status":"draining"}`, so a load balancer checking it stops sending traffic.
 */
export async function healthRoutes(app: FastifyInstance, { services, lifecycle }: { services: Pick<Services, 'health'>; lifecycle?: Lifecycle }): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    if (lifecycle?.draining) return reply.code(503).header('retry-after', '5').send({ status: 'draining' });
    const report = await services.health();
    if (report.status === 'no_signing_key') {
      request.log.error({ err: report.problem }, 'no signing key can be loaded');
      throw new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable; retry later', { headers: { 'Retry-After': '5' } });
    }
    return reply.send(report);
  });
}
