/**
 * The management listener (docs/monitoring.md): health and metrics on a port of their
 * own (`managementPort`, bound to `managementHost`), for load balancers, orchestrators and
 * Prometheus, apart from the public listener so it can be firewalled off.
 *
 * - GET /health/live: 200 while the process runs; touches nothing else.
 * - GET /health/ready: 200 when the database answers and a signing key is loaded
 *   (core/health.ts), 503 otherwise and while the server drains (lifecycle.ts). The body
 *   names the failing check, never its cause (no SQL, no stack: that goes to the log).
 * - GET /metrics: the Prometheus text format (metrics.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../core/config.js';
import { StorageUnavailableError } from '../core/errors.js';
import type { HealthReport } from '../core/health.js';
import type { Lifecycle } from './lifecycle.js';
import type { ServerMetrics } from './metrics.js';

export interface ManagementDeps {
  config: Pick<Config, 'managementPort' | 'managementHost'>;
  /** The readiness check (Services.health). */
  health(): Promise<HealthReport>;
  lifecycle: Lifecycle;
  metrics: Pick<ServerMetrics, 'registry'>;
  /** Where a failed readiness check's cause is logged (the main server's logger). */
  log: FastifyBaseLogger;
}

/** The failing check a 503 names (`internal`: the check itself failed unexpectedly; see the log). */
export type ReadinessCheck = 'draining' | 'database' | 'signing_key' | 'internal';

export interface ManagementListener {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Builds the management app (not listening): tests inject into it. */
export function buildManagementApp(deps: Omit<ManagementDeps, 'config'>): FastifyInstance {
  // No access log: probes come every few seconds and would drown the requests that matter.
  const app = Fastify({ logger: false, return503OnClosing: true });
  const unready = (reply: FastifyReply, check: ReadinessCheck) =>
    reply.code(503).header('Cache-Control', 'no-store').send({ status: 'unavailable', check });

  app.get('/health/live', async (_request, reply) => reply.header('Cache-Control', 'no-store').send({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    // Draining (SIGTERM): the load balancer must stop sending new traffic at once.
    if (deps.lifecycle.draining) return unready(reply, 'draining');
    let report: HealthReport;
    try {
      report = await deps.health();
    } catch (error) {
      if (error instanceof StorageUnavailableError) {
        deps.log.warn({ err: error }, 'readiness: the database does not answer');
        return unready(reply, 'database');
      }
      deps.log.error({ err: error }, 'readiness check failed');
      return unready(reply, 'internal');
    }
    if (report.status === 'no_signing_key') {
      deps.log.error({ err: report.problem }, 'readiness: no signing key can be loaded');
      return unready(reply, 'signing_key');
    }
    return reply.header('Cache-Control', 'no-store').send(report);
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('Cache-Control', 'no-store').type(deps.metrics.registry.contentType).send(text);
  });

  // Anything else: a plain 404, with no hint of what the public listener serves.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ status: 'not_found' }));
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    // Bad input (an undecodable URL…) is the client's error; anything else is logged, never shown.
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.log.error({ err: error }, 'management listener error');
    return reply.code(status).send({ status: 'error' });
  });
  return app;
}

/** Starts the management listener; `managementPort: 0` binds a free port (the URL says which). */
export async function startManagementListener(deps: ManagementDeps): Promise<ManagementListener> {
  const app = buildManagementApp(deps);
  const url = await app.listen({ host: deps.config.managementHost, port: deps.config.managementPort ?? 0 });
  return {
    app,
    url,
    // Called once the public listener has drained: a probe still in flight (waiting on the
    // database) must not hold the process.
    close: async () => {
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
    },
  };
}
