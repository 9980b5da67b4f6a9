// `npm run bench -- --soak`: client_credentials on the Gatehouse ES256 token bench server,
// without a pause, for N minutes; is the memory flat once warm?
import autocannon from 'autocannon';
import { cpuSeconds, rssMb, sampleRss, stopChild } from './processes.js';
import { RSS_TARGET_MB, machineLines, mark, round0, round1, table } from './report.js';
import { gatehouseTokenContestant } from './scenarios.js';

export interface SoakOptions {
  minutes: number;
  /** Seconds of warm-up; default 10 % of the soak, at least 30 s (the first minute of the default 10). */
  warmupSeconds: number | undefined;
  connections: number;
  /** How the server runs, for the report ("compiled, plain node"). */
  runner: string;
}

export interface SoakOutcome {
  report: string;
  /** Non-2xx answers and errors: the run is not valid. */
  failures: number;
}

/** The growth allowed after warm-up (the issue: ≤ 10 %). */
const GROWTH_TARGET = 0.1;
const RSS_SAMPLE_MS = 5000;
const ERROR_SAMPLES = 3;

interface Bucket {
  responses: number;
  non2xx: number;
  latencySum: number;
  latencyMax: number;
}

export async function runSoak(options: SoakOptions, signal: AbortSignal): Promise<SoakOutcome> {
  const total = options.minutes * 60;
  const warmup = options.warmupSeconds ?? Math.max(30, total * 0.1);
  if (!(warmup < total)) throw new Error(`the warm-up (${warmup} s) must be shorter than the soak (${total} s)`);
  // Short soaks (testing the soak itself) get finer buckets.
  const bucketSeconds = total >= 300 ? 60 : 10;
  const bucketCount = Math.ceil(total / bucketSeconds);

  console.log(`\n## soak: client_credentials on gatehouse ES256 for ${options.minutes} min (${warmup} s warm-up), ${options.connections} connections`);
  const { target, child } = await gatehouseTokenContestant();
  const pid = target.pid;
  try {
    const url = new URL(target.url);
    const samples: { t: number; mb: number }[] = [];
    const buckets: Bucket[] = [];
    const statusCodes = new Map<number, number>();
    const errorSamples: string[] = [];
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const sample = () => {
      const mb = rssMb(pid);
      if (mb !== undefined) samples.push({ t: elapsed(), mb });
    };
    const cpuBefore = cpuSeconds(pid);
    const ownCpuBefore = process.cpuUsage();
    sample();
    const sampler = setInterval(() => {
      sample();
      const last = samples.at(-1);
      if (last) process.stdout.write(`  ${round0(last.t)} s: RSS ${round1(last.mb)} MB, ${buckets.reduce((sum, b) => sum + b.responses, 0)} answers so far\n`);
    }, RSS_SAMPLE_MS);
    const peak = sampleRss(pid, 250);

    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: url.origin,
          connections: options.connections,
          duration: total,
          requests: [
            {
              method: target.method,
              path: url.pathname,
              headers: target.headers,
              body: target.body!,
              onResponse: (status: number, body: string) => {
                if ((status < 200 || status > 299) && errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${status} ${body.slice(0, 300)}`);
              },
            },
          ],
        },
        (error, outcome) => (error ? reject(error as Error) : resolve(outcome)),
      );
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        // The last answers (in flight when the time is up) go to the last bucket.
        const index = Math.min(Math.floor(elapsed() / bucketSeconds), bucketCount - 1);
        const bucket = (buckets[index] ??= { responses: 0, non2xx: 0, latencySum: 0, latencyMax: 0 });
        bucket.responses++;
        if (statusCode < 200 || statusCode > 299) bucket.non2xx++;
        bucket.latencySum += responseTime;
        bucket.latencyMax = Math.max(bucket.latencyMax, responseTime);
        statusCodes.set(statusCode, (statusCodes.get(statusCode) ?? 0) + 1);
      });
      signal.addEventListener('abort', () => instance.stop(), { once: true });
    });
    sample();
    clearInterval(sampler);
    const { maxMb } = peak.stop();
    const seconds = elapsed();
    const serverCpu = ((cpuSeconds(pid) - cpuBefore) / seconds) * 100;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const loadGeneratorCpu = ((ownCpu.user + ownCpu.system) / 1e6 / seconds) * 100;

    // --- analysis ---
    const interrupted = signal.aborted;
    const end = samples.at(-1)!.t;
    const afterWarmup = samples.find((s) => s.t >= warmup);
    const final = samples.at(-1)!;
    // GC makes RSS a sawtooth: compare the peaks of a window right after warm-up and of the last window too.
    const window = Math.min(60, (end - warmup) / 3);
    const peakOf = (from: number, to: number) => Math.max(0, ...samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.mb));
    const firstPeak = peakOf(warmup, warmup + window);
    const lastPeak = peakOf(end - window, end);
    const growth = afterWarmup ? (final.mb - afterWarmup.mb) / afterWarmup.mb : NaN;
    const peakGrowth = firstPeak > 0 ? (lastPeak - firstPeak) / firstPeak : NaN;
    const failures = result.non2xx + result.errors;
    const statusList = [...statusCodes].map(([status, count]) => `${status} × ${count}`).join(', ');

    const checks: [string, string, string, boolean][] = [
      ['RSS growth after warm-up: (final − after warm-up) / after warm-up', `${round1(afterWarmup?.mb ?? NaN)} → ${round1(final.mb)} MB: ${(growth * 100).toFixed(1)} %`, '≤ 10 %', growth <= GROWTH_TARGET],
      [`RSS peak growth: peak of the last ${round0(window)} s vs peak of the first ${round0(window)} s after warm-up`, `${round1(firstPeak)} → ${round1(lastPeak)} MB: ${(peakGrowth * 100).toFixed(1)} %`, '≤ 10 %', peakGrowth <= GROWTH_TARGET],
      ['RSS under load, max (sampled every 250 ms)', `${round1(maxMb)} MB`, `≤ ${RSS_TARGET_MB} MB`, maxMb <= RSS_TARGET_MB],
      ['non-2xx + errors', `${result.non2xx} + ${result.errors}`, '= 0', failures === 0],
      ...(interrupted ? [['complete run', `interrupted after ${round0(seconds)} s`, `${total} s`, false] as [string, string, string, boolean]] : []),
    ];
    const verdict = checks.every(([, , , ok]) => ok);

    // A bucket without a single answer (a stalled server) is a hole in the array: show it as zeros.
    const bucketRows = Array.from(buckets, (bucket = { responses: 0, non2xx: 0, latencySum: 0, latencyMax: 0 }, index) => {
      const from = index * bucketSeconds;
      const last = index === buckets.length - 1;
      const to = last ? seconds : from + bucketSeconds;
      const inBucket = samples.filter((s) => s.t >= from && (s.t < to || last));
      return [
        `${round0(from)}–${round0(to)} s${to <= warmup ? ' (warm-up)' : ''}`,
        round0(bucket.responses / (to - from)),
        round1(bucket.latencySum / Math.max(1, bucket.responses)),
        round0(bucket.latencyMax),
        String(bucket.non2xx),
        inBucket.length > 0 ? round1(Math.max(...inBucket.map((s) => s.mb))) : '–',
        inBucket.length > 0 ? round1(inBucket.at(-1)!.mb) : '–',
      ];
    });

    const lines = [
      ...machineLines(
        'Gatehouse soak',
        `client_credentials (client_secret_basic, scope documents:read) on the token bench server (Gatehouse ES256, SQLite, 10 000 clients; ${options.runner}), ${options.connections} connections for ${options.minutes} min; warm-up ${warmup} s; RSS sampled every ${RSS_SAMPLE_MS / 1000} s (and every 250 ms for the max)`,
      ),
      `**Soak: ${verdict ? 'PASS' : 'FAIL'}** — ${round0(result.requests.average)} req/s on average, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.total} answers (${statusList || 'none'}); server CPU ${round0(serverCpu)} %, load generator CPU ${round0(loadGeneratorCpu)} % of one core`,
      '',
      ...(failures > 0 ? [`**!!! ${result.non2xx} non-2xx answers, ${result.errors} errors (${result.timeouts} timeouts).** First answers: ${errorSamples.map((s) => `\`${s}\``).join('; ') || '–'}`, ''] : []),
      ...table(
        ['check', 'value', 'target', 'result'],
        checks.map(([label, value, goal, ok]) => [label, value, goal, mark(ok)]),
      ),
      '',
      `### Over time (${bucketSeconds} s buckets)`,
      '',
      ...table(['time', 'req/s', 'mean latency ms', 'max latency ms', 'non-2xx', 'RSS max MB', 'RSS at end MB'], bucketRows),
      '',
      `RSS every ${RSS_SAMPLE_MS / 1000} s (MB): ${samples.map((s) => round0(s.mb)).join(' ')}`,
      '',
    ];
    return { report: lines.join('\n'), failures };
  } finally {
    await stopChild(child);
  }
}
