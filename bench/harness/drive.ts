// One round of load on one contestant: autocannon (in this process) or wrk (bench/harness/wrk.ts)
// for a fixed time, with the server's RSS sampled during the load and the CPU both sides used.
import autocannon from 'autocannon';
import { cpuSeconds, sampleRss } from './processes.js';
import { driveWithWrk } from './wrk.js';

/** What sends the load: autocannon in the harness process, or wrk, a process of its own (one fixed request: no `nextBody`). */
export type LoadGenerator = 'autocannon' | 'wrk';

export interface Target {
  name: string;
  method: 'GET' | 'POST';
  /** http://127.0.0.1:<port><path> */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * A fresh body for every request (single-use credentials): the request is rebuilt each
   * time. Contestants compared with each other should all have one, or none, so that the
   * load generator does the same work for each.
   */
  nextBody?: () => string;
  /** The server process (several targets may share one). */
  pid: number;
  /** A Gatehouse authorization server: held to the server targets (RSS). */
  gatehouse?: boolean;
  /** Called before each warm-up or round (not timed): e.g. seed enough single-use credentials for `seconds` of load. */
  prepare?(seconds: number): Promise<void>;
  /** Called after each warm-up or round with its request rate, e.g. to size the next seeding. */
  observe?(requestsPerSecond: number): void;
  /**
   * A contestant that is not an HTTP server (the floor's ES256 signing rate): measures itself
   * for `seconds` instead of being driven; its rate goes in `requestsPerSecond`.
   */
  run?(seconds: number): Promise<Round>;
}

export interface Round {
  requestsPerSecond: number;
  /** Latency, ms: of the 2xx answers (autocannon), of every answer (wrk). */
  p50: number;
  p99: number;
  non2xx: number;
  /** Connection errors and timeouts (timeouts are counted in both). */
  errors: number;
  timeouts: number;
  /** Answers per status code (wrk counts none: `{ "non-2xx": n }` when there are some). */
  statusCodes: Record<string, number>;
  /** The first few non-2xx answers, `<status> <body>` (wrk: one probe request after the round). */
  errorSamples: string[];
  /** Server RSS: the maximum sampled during the load, and after it. */
  rssMaxMb: number;
  rssAfterMb: number;
  /** CPU used during the round, in % of one core. */
  serverCpu: number;
  loadGeneratorCpu: number;
  /** Answers per CPU-second of the server; absent: requestsPerSecond / (serverCpu / 100). Set for computed contestants (the floor). */
  perCpuSecond?: number;
}

/** RSS is sampled this often during a round. */
const RSS_SAMPLE_MS = 250;
const ERROR_SAMPLES = 3;

export async function drive(target: Target, seconds: number, connections: number, generator: LoadGenerator = 'autocannon'): Promise<Round> {
  if (target.run) return target.run(seconds);
  if (generator === 'wrk') return driveWithWrk(target, seconds, connections);
  const url = new URL(target.url);
  const errorSamples: string[] = [];
  const request: autocannon.Request = {
    method: target.method,
    path: url.pathname + url.search,
    headers: target.headers,
    ...(target.body !== undefined ? { body: target.body } : {}),
    // autocannon hands setupRequest a fresh copy of the request each time: set its body.
    ...(target.nextBody
      ? {
          setupRequest: (req: autocannon.Request) => {
            req.body = target.nextBody!();
            return req;
          },
        }
      : {}),
    onResponse: (status: number, body: string) => {
      if ((status < 200 || status > 299) && errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${status} ${body.slice(0, 300)}`);
    },
  };
  const rss = sampleRss(target.pid, RSS_SAMPLE_MS);
  const serverCpuBefore = cpuSeconds(target.pid);
  const ownCpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ url: url.origin, connections, duration: seconds, requests: [request] });
  const elapsed = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const serverCpu = cpuSeconds(target.pid) - serverCpuBefore;
  const { maxMb, lastMb } = rss.stop();
  const statusCodes: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[status] = count ?? 0;
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    errorSamples,
    rssMaxMb: maxMb,
    rssAfterMb: lastMb,
    serverCpu: (serverCpu / elapsed) * 100,
    loadGeneratorCpu: ((ownCpu.user + ownCpu.system) / 1e6 / elapsed) * 100,
  };
}
