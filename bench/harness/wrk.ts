// One round of load with wrk (C, one thread, a process of its own: on a 2-core machine it
// leaves the server a whole core, where autocannon in the harness takes 65–75 % of one).
// wrk sends one fixed request, so targets with `nextBody` (single-use bodies) cannot use it.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { cpuSeconds, sampleRss, stopChild, trackChild } from './processes.js';
import type { Round, Target } from './drive.js';

/** /proc is read this often: the server's RSS, and wrk's CPU (the last value is kept: wrk is reaped when it exits). */
const SAMPLE_MS = 100;
/** As autocannon's default: a request without an answer after this is a timeout. */
const TIMEOUT_SECONDS = 10;

/** The path of `wrk` on PATH, or undefined. */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'wrk');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** wrk's version for the report, e.g. "4.1.0" (`wrk -v` prints "wrk debian/4.1.0-3+b2 [epoll] …" and exits 1). */
export function wrkVersion(): string {
  const { stdout, stderr } = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const text = `${stdout ?? ''}${stderr ?? ''}`;
  return /^wrk \S*?(\d+\.\d+\.\d+)/m.exec(text)?.[1] ?? /^wrk (\S+)/m.exec(text)?.[1] ?? 'version unknown';
}

/** A Lua string literal holding exactly these bytes (UTF-8): printable ASCII as is, everything else, `"` and `\` as decimal escapes. */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The script: the one request wrk sends over and over (wrk adds Host, and Content-Length for a body). */
export function wrkScript(target: Pick<Target, 'method' | 'headers' | 'body'>): string {
  const lines = [`wrk.method = ${luaString(target.method)}`];
  if (target.body !== undefined) lines.push(`wrk.body = ${luaString(target.body)}`);
  for (const [name, value] of Object.entries(target.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') continue; // wrk.format sets it from wrk.body
    lines.push(`wrk.headers[${luaString(lower === 'host' ? 'Host' : name)}] = ${luaString(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function milliseconds(value: string, unit: string): number {
  const factor = UNIT_MS[unit];
  if (factor === undefined) throw new Error(`unknown time unit "${unit}"`);
  // wrk prints two decimals; keep µs precision.
  return Math.round(Number(value) * factor * 1000) / 1000;
}

/** What wrk prints of a round; its non2xx is wrk's "Non-2xx or 3xx responses" (in fact: status ≥ 400). */
export type WrkOutput = Pick<Round, 'requestsPerSecond' | 'p50' | 'p99' | 'non2xx' | 'errors' | 'timeouts'>;

/** Parses `wrk --latency` output; throws if a figure is missing. */
export function parseWrkOutput(stdout: string): WrkOutput {
  const requests = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(stdout);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(stdout);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(stdout);
  if (!requests || !p50 || !p99 || !/^\s+Latency Distribution\s*$/m.test(stdout)) {
    throw new Error('no "Requests/sec:" line or no "Latency Distribution" 50 % and 99 % lines');
  }
  const non2xx = /^\s+Non-2xx or 3xx responses:\s+(\d+)\s*$/m.exec(stdout);
  const socket = /^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$/m.exec(stdout);
  const counts = socket ? socket.slice(1, 5).map(Number) : [0, 0, 0, 0];
  return {
    requestsPerSecond: Number(requests[1]),
    p50: milliseconds(p50[1]!, p50[2]!),
    p99: milliseconds(p99[1]!, p99[2]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: counts.reduce((sum, n) => sum + n, 0),
    timeouts: counts[3]!,
  };
}

/** One request after a round with non-2xx answers: wrk keeps neither statuses nor bodies. */
async function probe(target: Target): Promise<string> {
  try {
    const response = await fetch(target.url, { method: target.method, headers: target.headers, ...(target.body !== undefined ? { body: target.body } : {}) });
    const body = await response.text();
    return `probe after the round: ${response.status} ${body.slice(0, 300)}`;
  } catch (error) {
    return `probe after the round: failed (${(error as Error).message})`;
  }
}

export async function driveWithWrk(target: Target, seconds: number, connections: number): Promise<Round> {
  if (target.nextBody) throw new Error(`${target.name}: wrk sends one fixed request; a target with nextBody needs autocannon`);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-wrk-'));
  try {
    const script = join(dir, 'request.lua');
    writeFileSync(script, wrkScript(target));
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${TIMEOUT_SECONDS}s`, '--latency', '-s', script, target.url];

    const rss = sampleRss(target.pid, SAMPLE_MS);
    const serverCpuBefore = cpuSeconds(target.pid);
    const started = performance.now();
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // wrk's CPU: sampled while it runs, with the time of the sample (the rate is the last sample over its time).
    let wrkCpu = { seconds: 0, at: started };
    const sampleWrk = () => {
      const pid = child.pid;
      if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const at = performance.now();
      const used = cpuSeconds(pid);
      if (used > 0) wrkCpu = { seconds: used, at };
    };
    const wrkSampler = setInterval(sampleWrk, SAMPLE_MS);
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
    } finally {
      clearInterval(wrkSampler);
      // Not left running if this round failed (a child that never started has no pid).
      if (child.pid !== undefined) await stopChild(child);
    }
    const elapsed = (performance.now() - started) / 1000;
    const serverCpu = cpuSeconds(target.pid) - serverCpuBefore;
    const { maxMb, lastMb } = rss.stop();

    const command = `wrk ${args.join(' ')}`;
    if (exit.code !== 0) {
      throw new Error(`${command} exited with ${exit.code ?? exit.signal}; stderr: ${stderr.trim() || '(empty)'}; stdout: ${stdout.trim() || '(empty)'}`);
    }
    let parsed: WrkOutput;
    try {
      parsed = parseWrkOutput(stdout);
    } catch (error) {
      throw new Error(`cannot read the output of ${command}: ${(error as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    const errorSamples = parsed.non2xx > 0 ? [await probe(target)] : [];
    const wrkSeconds = (wrkCpu.at - started) / 1000;
    return {
      ...parsed,
      statusCodes: parsed.non2xx > 0 ? { 'non-2xx': parsed.non2xx } : {},
      errorSamples,
      rssMaxMb: maxMb,
      rssAfterMb: lastMb,
      serverCpu: (serverCpu / elapsed) * 100,
      loadGeneratorCpu: wrkSeconds > 0 ? (wrkCpu.seconds / wrkSeconds) * 100 : 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
