import { Server } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { AuditLogSink } from '../core/audit.js';
import type { Config } from '../core/config.js';
import { redactUrl } from '../store/sql/index.js';
import { buildApp } from './app.js';
import { prepareDocumentApi } from './mounts.js';
import { openGatehouse, type Gatehouse } from './context.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { startManagementListener, type ManagementListener } from './management.js';
import { currentRequestLog } from './plugins/request-id.js';
import { insecureIssuerWarning, pruneExpiredCodesAndRefreshTokens, pruneExpiredRevocations } from './startup.js';

export interface RunningServer {
  app: FastifyInstance;
  gatehouse: Gatehouse;
  /** The address actually bound (useful with port 0). */
  url: string;
  /** Draining state (server/lifecycle.ts): readiness and keep-alive follow it. */
  lifecycle: Lifecycle;
  /** The management listener's address (health and metrics), when `managementPort` is set. */
  managementUrl?: string;
  /**
   * Graceful shutdown (SIGTERM): draining at once; for `delayMs` still serving, every answer
   * with `Connection: close`; then no new connections, requests in flight finish, idle sockets
   * close; after `graceMs` whatever remains is cut. Then storage closes. Logs a line when it
   * starts and one when it ends.
   */
  shutdown(options: ShutdownOptions): Promise<void>;
  /** Stops at once (the listener, idle sockets, then storage), waiting for requests in flight. */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /** What asked for it (logged), e.g. 'SIGTERM'. */
  reason: string;
  delayMs: number;
  graceMs: number;
}

const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** After the listener closes, how long a connection without a request may still send one before idle ones are closed. */
const IDLE_SETTLE_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` (the timer does not hold the process open). */
/** After the drain, how long closing (storage, the management listener) may take before the process exits anyway. */
const CLOSE_BUDGET_MS = 2000;

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([promise.then(() => true as const), timeout]).finally(() => clearTimeout(timer));
}

/** Open connections of the public listener (for the log line of a forced shutdown). */
function connectionCount(app: FastifyInstance): Promise<number> {
  return new Promise((resolve) => app.server.getConnections((error, count) => resolve(error ? 0 : count)));
}

/**
 * `gatehouse serve`: open (and on first start create) the database, master key and
 * signing key, then listen. Logs where everything lives; never a secret.
 */
export interface StartServerOptions {
  logger?: FastifyServerOptions['logger'];
  /** Where the demo document API reads its GATEHOUSE_DEMO_* settings (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  // Background problems (key refresh, Redis) are logged once the logger exists, at most
  // once per context every 10 s.
  let log: FastifyInstance['log'] | undefined;
  const lastReported = new Map<string, number>();
  const early: { error: unknown; context: string }[] = [];
  // Audit events are logged as one line each (message "audit", the event under `audit`);
  // one recorded before the logger exists waits for it.
  const earlyAudit: Parameters<AuditLogSink>[] = [];
  // An event recorded while serving a request is logged with that request's id.
  const logAudit: AuditLogSink = (line, failure) => {
    const target = currentRequestLog() ?? log;
    if (!target) earlyAudit.push([line, failure]);
    else if (failure) target.error({ audit: line, stored: false, err: failure.error }, 'audit');
    else target.info({ audit: line }, 'audit');
  };
  // The demo's settings are checked before the database or the master key is created.
  const documentApi = await prepareDocumentApi(config.issuer, { env: options.env });
  // Metrics are collected only when the management listener can serve them (management.ts);
  // prom-client is loaded only then (~12 MB resident, ~0.1 s to load).
  const metrics = config.managementPort !== undefined ? (await import('./metrics.js')).createServerMetrics(config) : undefined;
  const gatehouse = await openGatehouse(config, {
    ...(metrics ? { metrics } : {}),
    migrate: 'always',
    auditLog: logAudit,
    onBackgroundError: (error, context) => {
      const now = Date.now();
      if (now - (lastReported.get(context) ?? 0) < 10_000) return;
      lastReported.set(context, now);
      // Reported before the logger exists (e.g. Redis down at start): keep it for then.
      if (log) log.warn({ err: error, context }, `background problem: ${context}`);
      else early.push({ error, context });
    },
  });
  const lifecycle = createLifecycle();
  try {
    const app = await buildApp(gatehouse, { ...options, documentApi, lifecycle });
    log = app.log;
    for (const { error, context } of early.splice(0)) app.log.warn({ err: error, context }, `background problem: ${context}`);
    for (const [line, failure] of earlyAudit.splice(0)) logAudit(line, failure);
    const { masterKey } = gatehouse;
    app.log.info({ database: redactUrl(config.databaseUrl), migrationsApplied: gatehouse.migrationsApplied }, 'storage ready');
    if (masterKey.created) app.log.info({ masterKeyFile: masterKey.file }, 'generated a new master key (mode 0600); back it up: without it client secrets and signing keys cannot be used');
    else app.log.info({ masterKeyFile: masterKey.file }, 'master key loaded');
    const generated = await gatehouse.adminAs('system').keys.ensureActive(config.signingAlgorithm);
    if (generated) app.log.info({ kid: generated.kid, alg: generated.alg }, 'generated the first signing key (stored in the database, sealed with the master key)');

    if (!(await gatehouse.admin.accounts.hasOperator())) {
      app.log.info({ signIn: `${config.issuer}/admin` }, `no operator account yet: create one with "gatehouse admin create --username NAME --password-stdin", then sign in at ${config.issuer}/admin`);
    }

    const url = await app.listen({ host: config.host, port: config.port });
    app.log.info({ issuer: config.issuer, listening: url }, 'gatehouse is ready');
    const issuerWarning = insecureIssuerWarning(config.issuer);
    if (issuerWarning) app.log.warn({ issuer: config.issuer }, issuerWarning);

    const prune = setInterval(() => {
      // Entries outlive their token by REVOCATION_SKEW_SECONDS (clock skew between nodes).
      pruneExpiredRevocations(gatehouse.storage.revocations, Date.now()).catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not prune expired revocations');
      });
      pruneExpiredCodesAndRefreshTokens(gatehouse.storage, Date.now()).catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not prune expired authorization codes and refresh tokens');
      });
      gatehouse.audit.prune(Date.now(), config.auditRetention).catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not prune old audit events');
      });
      gatehouse.services.sessions.prune().catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not prune expired sign-in sessions');
      });
    }, PRUNE_INTERVAL_MS);
    prune.unref();

    let closing: Promise<void> | undefined;
    // --- management listener (issue 15: health and metrics; server/management.ts) ---
    let management: ManagementListener | undefined;
    if (metrics) {
      try {
        management = await startManagementListener({ config, health: () => gatehouse.services.health(), lifecycle, metrics, log: app.log });
      } catch (error) {
        clearInterval(prune);
        await app.close();
        throw error;
      }
      app.log.info({ management: management.url }, 'management listener ready (/health/live, /health/ready, /metrics)');
    }
    // --- end of management listener ---

    const close = (): Promise<void> =>
      (closing ??= (async () => {
        lifecycle.draining = true;
        clearInterval(prune);
        await app.close();
        // After the public listener: readiness keeps answering 503 while requests finish.
        await management?.close();
        await gatehouse.close();
      })());
    let shuttingDown: Promise<void> | undefined;
    const shutdown = ({ reason, delayMs, graceMs }: ShutdownOptions): Promise<void> =>
      (shuttingDown ??= (async () => {
        // Readiness (/healthz here, /health/ready on the management listener) turns 503 at once.
        lifecycle.draining = true;
        const started = Date.now();
        app.log.info({ reason, delaySeconds: delayMs / 1000, graceSeconds: graceMs / 1000 }, 'shutdown started: readiness 503, serving with Connection: close until the delay ends');
        if (delayMs > 0) await sleep(delayMs);
        // Stop accepting, without Node's http server.close(), which would also destroy at once
        // every connection with no request in progress, including one accepted a moment ago
        // whose first request is on its way (its client would see ECONNRESET). The callback
        // runs once the last connection has ended.
        const connectionsEnded = new Promise<void>((resolve) => Server.prototype.close.call(app.server, () => resolve()));
        // Requests in flight, and any still arriving on open connections, are answered (with
        // Connection: close). Then the connections that stay idle (keep-alive ones unused
        // during the delay, or one whose response began before the drain) are closed.
        let cut = 0;
        const settle = Math.min(IDLE_SETTLE_MS, graceMs / 4);
        if (!(await settlesWithin(connectionsEnded, settle))) {
          app.server.closeIdleConnections();
          const reaper = setInterval(() => app.server.closeIdleConnections(), 250);
          const inTime = await settlesWithin(connectionsEnded, graceMs - settle);
          clearInterval(reaper);
          if (!inTime) {
            cut = await connectionCount(app);
            app.server.closeAllConnections();
            await connectionsEnded;
          }
        }
        // Fastify's onClose hooks (the listener is closed already), then storage. Closing waits
        // for queries still running (in a silent database partition, up to the query timeout),
        // and the management listener for a readiness probe in flight: the process exits within
        // CLOSE_BUDGET_MS of the grace anyway (the supervisor's kill timeout is sized on it).
        const closed = close();
        closed.catch(() => {});
        if (!(await settlesWithin(closed, CLOSE_BUDGET_MS))) app.log.warn({ reason, budgetSeconds: CLOSE_BUDGET_MS / 1000 }, 'storage and the management listener did not close in time; exiting anyway');
        else await closed;
        const line = { reason, seconds: (Date.now() - started) / 1000, connectionsCut: cut };
        if (cut > 0) app.log.warn(line, 'shutdown ended: the grace period ran out, the connections still open (requests in flight) were cut');
        else app.log.info(line, 'shutdown ended');
      })());
    return { app, gatehouse, url, lifecycle, ...(management ? { managementUrl: management.url } : {}), shutdown, close };
  } catch (error) {
    await gatehouse.close();
    throw error;
  }
}
