// The bench's child processes (servers, the grants seeder, wrk) and what /proc says about them.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every child this harness started and has not seen exit: stopped on Ctrl-C, by PID. */
const children = new Set<ChildProcess>();

/** Where the compiled scripts are (bench/harness/build.ts); undefined: run the TypeScript through tsx. */
let compiledRoot: string | undefined;

export function runCompiledScriptsFrom(dir: string | undefined): void {
  compiledRoot = dir;
}

/** The CPU every server (and the floor's signing process) is pinned to with taskset, or undefined: not pinned. */
let serverCpu: number | undefined;

/** Pins the servers started from now on to one CPU (`taskset -c <cpu>`), or unpins them (undefined). */
export function pinServersTo(cpu: number | undefined): void {
  serverCpu = cpu;
}

export function serverPinning(): string {
  return serverCpu === undefined ? 'servers not pinned' : `every server pinned to CPU ${serverCpu} (taskset -c ${serverCpu})`;
}

/**
 * Spawns a script of bench/ (e.g. `servers/bare-server.ts`) as a tracked child: its compiled
 * JavaScript under plain node, or the TypeScript through tsx. `pinned`: on the servers' CPU
 * (taskset execs node, so the child's pid is node's).
 */
export function spawnScript(script: string, env: Record<string, string> = {}, stdio: StdioOptions = ['ignore', 'pipe', 'inherit'], pinned = false): ChildProcess {
  const args = compiledRoot ? [join(compiledRoot, 'bench', script.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', fileURLToPath(new URL(`../${script}`, import.meta.url))];
  const options = { env: { ...process.env, ...env }, stdio };
  if (pinned && serverCpu !== undefined) return trackChild(spawn('taskset', ['-c', String(serverCpu), process.execPath, ...args], options));
  return trackChild(spawn(process.execPath, args, options));
}

/** Tracks a child (stopped on Ctrl-C or a fatal error) until it exits. */
export function trackChild<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Spawns a bench server (pinned, when the servers are) and waits for its `READY <port> …` line. */
export async function startServer(script: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; extra: string[] }> {
  const child = spawnScript(script, env, ['ignore', 'pipe', 'inherit'], true);
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${script} did not start within 120 s`));
    }, 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        const [, port, ...extra] = line.trim().split(' ');
        resolve({ child, port: Number(port), extra });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs a script to its end and returns its stdout (throws when it fails). */
export function runScript(script: string, env: Record<string, string> = {}, pinned = false): Promise<string> {
  const child = spawnScript(script, env, ['ignore', 'pipe', 'inherit'], pinned);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`${script} exited with ${code ?? signal}`))));
  });
}

/** Stops every child still running (on Ctrl-C or a fatal error). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

/** Resident set size of a process in MB (VmRSS), or undefined once it has exited. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; 0 once it has exited. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: the fields after it start past its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name), in clock ticks (USER_HZ = 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Samples a process's RSS every `intervalMs` until stopped: the maximum seen *during* the
 * load, not only after it (a server that frees memory when the load stops would look small).
 */
export function sampleRss(pid: number, intervalMs: number, onSample?: (mb: number) => void): { stop(): { maxMb: number; lastMb: number } } {
  let maxMb = 0;
  let lastMb = 0;
  const take = () => {
    const mb = rssMb(pid);
    if (mb === undefined) return;
    lastMb = mb;
    maxMb = Math.max(maxMb, mb);
    onSample?.(mb);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxMb, lastMb };
    },
  };
}
