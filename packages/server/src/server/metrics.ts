/**
 * The server's Prometheus metrics (docs/monitoring.md lists each one with its labels),
 * served by the management listener (management.ts) at GET /metrics.
 *
 * One Registry per server, never prom-client's global one, so several servers in one
 * process (the tests) keep their own counts. Labels never carry a raw path, a secret, a
 * token or a user name: HTTP metrics are labelled by route template (`/files/:id/download`,
 * whose concrete path is a bearer link), and client ids and tenants appear only when the
 * operator opts in with `metricsClientLabels` (each client adds series: cardinality).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { Config } from '../core/config.js';
import type { CoreMetrics, MetricsClient, RevocationFeedFollower } from '../core/metrics.js';

/** The route label of a request no route matched (404s: probes, scanners, typos). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The PostgreSQL pool counters (pg.Pool); SQLite has no pool. */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface ServerMetrics extends CoreMetrics {
  readonly registry: Registry;
  /** One answered HTTP request: its route template (UNMATCHED_ROUTE when none), method, status and duration. */
  observeRequest(route: string | undefined, method: string, statusCode: number, seconds: number): void;
  /** A storage call failed with a driver error (store/sql/guard.ts: answered 503). */
  storageQueryFailed(): void;
  /** Reports the PostgreSQL pool's connections at each scrape. */
  watchPool(pool: PoolStats): void;
}

type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Seconds: a token request takes about a millisecond; a page with a scrypt check ~50 ms. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route × method × status class: plain numbers, handed to prom-client at scrape time. */
interface RequestSeries {
  labels: { method: string; route: string; status_class: StatusClass };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  buckets: Float64Array;
}

interface SampleValue {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A metric whose samples are computed at scrape time from counts kept in plain numbers.
 * prom-client's own Counter and Histogram hash a label object on every increment (about a
 * microsecond each, measured): too much for the token endpoint's hot path, which here
 * costs an array index and an addition. prom-client's registry reads every metric through
 * `get()` (name, help, type and values, the MetricObjectWithValues its types declare), so
 * this object is registered and rendered like any other.
 */
function registerCollected(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', values: () => SampleValue[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
  };
  registry.registerMetric(metric as unknown as Metric);
}

export function createServerMetrics(config: Pick<Config, 'metricsClientLabels'>): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  // The standard process_* and nodejs_* names, as every Node.js dashboard expects them.
  collectDefaultMetrics({ register: registry });

  // The hot path: by route template, method and status class (index 0-4: 1xx-5xx).
  const series = new Map<string, Map<string, (RequestSeries | undefined)[]>>();
  const allSeries: RequestSeries[] = [];
  registerCollected(registry, 'gatehouse_http_requests_total', 'HTTP requests answered by the public listener, by route template, method and status class.', 'counter', () =>
    allSeries.map((one) => ({ labels: one.labels, value: one.count })),
  );
  registerCollected(registry, 'gatehouse_http_request_duration_seconds', 'Time to answer an HTTP request of the public listener, by route template, method and status class.', 'histogram', () =>
    allSeries.flatMap((one) => {
      let cumulative = 0;
      const buckets = [...DURATION_BUCKETS, Infinity].map((bound, index) => {
        cumulative += one.buckets[index]!;
        return { metricName: 'gatehouse_http_request_duration_seconds_bucket', labels: { ...one.labels, le: bound === Infinity ? '+Inf' : String(bound) }, value: cumulative };
      });
      return [
        ...buckets,
        { metricName: 'gatehouse_http_request_duration_seconds_sum', labels: one.labels, value: one.sum },
        { metricName: 'gatehouse_http_request_duration_seconds_count', labels: one.labels, value: one.count },
      ];
    }),
  );
  const throttled = new Counter({ name: 'gatehouse_throttled_requests_total', help: 'Requests refused with 429 (too many failed client authentications or sign-ins), by route template.', labelNames: ['route'], registers });

  const clientLabels = config.metricsClientLabels ? (['client_id', 'tenant'] as const) : ([] as const);
  // Tokens: by grant type in plain numbers (the hot path); with client labels through prom-client.
  const tokensByGrant = new Map<string, { value: number }>();
  const tokens = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Access tokens issued by the token endpoint, by grant type.',
    labelNames: ['grant_type', ...clientLabels],
    registers,
    collect() {
      if (config.metricsClientLabels) return;
      this.reset();
      for (const [grantType, count] of tokensByGrant) this.inc({ grant_type: grantType }, count.value);
    },
  });
  const authFailures = new Counter({ name: 'gatehouse_client_authentication_failures_total', help: 'Failed client authentications (token, introspection, revocation, revocation feed).', labelNames: clientLabels, registers });
  const reuse = new Counter({ name: 'gatehouse_refresh_token_reuse_total', help: 'Rotated refresh tokens presented again (RFC 9700 §4.14.2); each revoked its grant.', labelNames: clientLabels, registers });
  const replay = new Counter({ name: 'gatehouse_authorization_code_replay_total', help: 'Authorization codes presented again by their client with a valid proof (RFC 6749 §4.1.2); the grant each issued, if any yet, was revoked.', labelNames: clientLabels, registers });
  const queryErrors = new Counter({ name: 'gatehouse_db_query_errors_total', help: 'Storage calls that failed with a database error (answered 503 temporarily_unavailable).', registers });

  const pools: PoolStats[] = [];
  const sumPools = (read: (pool: PoolStats) => number) => pools.reduce((sum, pool) => sum + read(pool), 0);
  // Registered only once a pool is watched: a SQLite server has none, and shows no zeros it did not measure.
  const poolGauges = () => {
    new Gauge({ name: 'gatehouse_db_pool_connections_in_use', help: 'PostgreSQL connections checked out of the pool.', registers, collect() { this.set(sumPools((p) => p.totalCount - p.idleCount)); } });
    new Gauge({ name: 'gatehouse_db_pool_connections_idle', help: 'PostgreSQL connections open and idle in the pool.', registers, collect() { this.set(sumPools((p) => p.idleCount)); } });
    new Gauge({ name: 'gatehouse_db_pool_waiting_requests', help: 'Queries waiting for a free PostgreSQL connection.', registers, collect() { this.set(sumPools((p) => p.waitingCount)); } });
  };

  // The revocation feed: when each follower last read it, and up to which revision.
  const feedReads = new Map<RevocationFeedFollower, { at: number; revision: number }>();
  new Gauge({
    name: 'gatehouse_revocation_feed_lag_seconds',
    help: 'Seconds since the follower last read the revocation feed: revocations committed before then are enforced by it.',
    labelNames: ['follower'],
    registers,
    collect() {
      const now = Date.now();
      for (const [follower, read] of feedReads) this.set({ follower }, Math.max(0, now - read.at) / 1000);
    },
  });
  new Gauge({
    name: 'gatehouse_revocation_feed_revision',
    help: 'The newest revocation feed revision the follower has read (compare across processes).',
    labelNames: ['follower'],
    registers,
    collect() {
      for (const [follower, read] of feedReads) this.set({ follower }, read.revision);
    },
  });

  const throttledByRoute = new Map<string, Counter.Internal>();
  const labelsOf = (client: MetricsClient | undefined) => ({ client_id: client?.id ?? '', tenant: client?.tenantSlug ?? '' });

  return {
    registry,
    observeRequest(route, method, statusCode, seconds) {
      const template = route ?? UNMATCHED_ROUTE;
      const index = Math.min(4, Math.max(0, Math.floor(statusCode / 100) - 1));
      let byMethod = series.get(template);
      if (!byMethod) series.set(template, (byMethod = new Map()));
      let byClass = byMethod.get(method);
      if (!byClass) byMethod.set(method, (byClass = []));
      let one = byClass[index];
      if (!one) {
        one = byClass[index] = { labels: { method, route: template, status_class: STATUS_CLASSES[index]! }, count: 0, sum: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1) };
        allSeries.push(one);
      }
      let bucket = 0;
      while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
      one.buckets[bucket]!++;
      one.sum += seconds;
      one.count++;
      if (statusCode === 429) {
        let counter = throttledByRoute.get(template);
        if (!counter) throttledByRoute.set(template, (counter = throttled.labels({ route: template })));
        counter.inc();
      }
    },
    tokenIssued(grantType, client) {
      if (config.metricsClientLabels) {
        tokens.inc({ grant_type: grantType, ...labelsOf(client) });
        return;
      }
      const count = tokensByGrant.get(grantType);
      if (count) count.value++;
      else tokensByGrant.set(grantType, { value: 1 });
    },
    clientAuthenticationFailed(client) {
      if (config.metricsClientLabels) authFailures.inc(labelsOf(client));
      else authFailures.inc();
    },
    refreshTokenReuse(client) {
      if (config.metricsClientLabels) reuse.inc(labelsOf(client));
      else reuse.inc();
    },
    authorizationCodeReplay(client) {
      if (config.metricsClientLabels) replay.inc(labelsOf(client));
      else replay.inc();
    },
    revocationFeedRead(follower, revision) {
      const read = feedReads.get(follower);
      if (read) {
        read.at = Date.now();
        read.revision = revision;
      } else feedReads.set(follower, { at: Date.now(), revision });
    },
    storageQueryFailed() {
      queryErrors.inc();
    },
    watchPool(pool) {
      if (pools.length === 0) poolGauges();
      pools.push(pool);
    },
  };
}
