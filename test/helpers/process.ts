/**
 * Black-box helpers: run the real `gatehouse` CLI (node bin/gatehouse.js, i.e. the
 * compiled dist/ a user gets after `npm install`) and real listening server processes.
 *
 * Every wait is bounded; every process started here is tracked by PID and killed when
 * the test file's process exits, even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { createTempDir } from './temp-dir.js';
import { sleep } from './timing.js';

export { freePort };

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../packages/server/bin/gatehouse.js', import.meta.url));

if (!existsSync(fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url)))) {
  throw new Error('dist/ is missing: run `npm run build` before the CLI and e2e tests');
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/**
 * The environment a child gets: the parent's, minus every GATEHOUSE_* variable (a
 * developer's own settings must not leak into the tests) and the test runner's
 * markers, plus `env`.
 */
export function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('GATEHOUSE_') || name === 'NODE_TEST_CONTEXT') continue;
    base[name] = value;
  }
  return { ...base, ...env };
}

export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Date.now() when the process exited. */
  exitedAt: number;
}

export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Written to the child's standard input, which is then closed (e.g. for --password-stdin). */
  input?: string;
}

/** Runs `node bin/gatehouse.js ...args` from the repository root; never rejects on a non-zero exit. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: childEnv(options.env), stdio: [stdin, 'pipe', 'pipe'] });
    live.add(child);
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {}); // the child may exit before reading everything
      child.stdin!.end(options.input);
    }
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('exit', () => {
      exitedAt = Date.now();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (signal === 'SIGKILL' && exitedAt === 0) exitedAt = Date.now();
      resolve({ code, signal, stdout, stderr, exitedAt: exitedAt || Date.now() });
    });
  });
}

/** Runs the CLI and fails with its output unless it exits 0. */
export async function cliOk(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await runCli(args, options);
  if (result.code !== 0) {
    throw new Error(`gatehouse ${args.join(' ')} exited ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

/** Runs the CLI with --json and parses the whole of stdout as one JSON value. */
export async function cliJson<T = Record<string, unknown>>(args: string[], options: CliOptions = {}): Promise<T> {
  const result = await cliOk([...args, '--json'], options);
  return JSON.parse(result.stdout) as T;
}


export interface ServerProcess {
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Everything the process wrote to stdout (its JSON log) so far. */
  stdout(): string;
  stderr(): string;
  /** The stdout lines that parse as JSON objects. */
  logLines(): Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after a bounded wait; resolves to the exit code (null when killed). */
  stop(): Promise<number | null>;
  /** Resolves to the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

export interface StartServerOptions {
  /** --db value. */
  db: string;
  /** --issuer value (processes of one cluster must share it). */
  issuer?: string;
  /** Added to the child's environment; GATEHOUSE_SHUTDOWN_DELAY is 0 unless set here (stop() is then quick). */
  env?: Record<string, string>;
  /** Bound on the wait for GET /healthz to answer 200. */
  readyTimeoutMs?: number;
  /** Fixed port; picked with freePort() when absent (and re-picked if it was taken meanwhile). */
  port?: number;
}

/**
 * Spawns `node bin/gatehouse.js serve --port <port> --db <db>` and waits until
 * GET /healthz answers 200. The process is killed if it does not become ready.
 */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await spawnServer(port, options);
    } catch (error) {
      // Another engineer's process may have grabbed the port between freePort() and listen().
      if (options.port === undefined && attempt < 3 && error instanceof Error && /EADDRINUSE/.test(error.message)) continue;
      throw error;
    }
  }
}

async function spawnServer(port: number, options: StartServerOptions): Promise<ServerProcess> {
  const args = [BIN, 'serve', '--port', String(port), '--db', options.db, ...(options.issuer ? ['--issuer', options.issuer] : [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv({ GATEHOUSE_SHUTDOWN_DELAY: '0', ...options.env }), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  let stopping: Promise<number | null> | undefined;
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    pid: child.pid!,
    port,
    url,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { unparsable: line };
          }
        }),
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        process.kill(child.pid!, 'SIGTERM');
        const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
        if (code !== 'timeout') return code;
        process.kill(child.pid!, 'SIGKILL');
        await Promise.race([exited, sleep(5000)]);
        return null;
      })()),
  };
  if (child.pid === undefined) throw new Error('could not spawn gatehouse serve');

  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (gone) {
      throw new Error(`gatehouse serve exited with ${child.exitCode ?? child.signalCode} before it was ready\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await server.stop();
      throw new Error(`gatehouse serve did not answer GET /healthz with 200 within the deadline\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    await sleep(100);
  }
}

export interface SqliteServer {
  /** The temporary directory of the database, the master key and the data files. */
  dir: string;
  /** The --db value the server and the CLI share. */
  db: string;
  server: ServerProcess;
  /** `gatehouse <args> --db <db>` (with the server's env), failing unless it exits 0; `input` goes to its standard input. */
  cli(args: string[], input?: string): Promise<CliResult>;
  /** The same with --json, stdout parsed as one JSON value. */
  cliJson<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** Stops the server and removes the directory. */
  close(): Promise<void>;
}

/**
 * A real `gatehouse serve` process (see startServer) on a fresh SQLite database in a
 * temporary directory named `prefix…`, and the CLI bound to that database.
 */
export async function startSqliteServer(prefix: string, options: Omit<StartServerOptions, 'db'> = {}): Promise<SqliteServer> {
  const dir = createTempDir(prefix);
  const db = dir.sqliteUrl;
  const env = options.env ?? {};
  let server: ServerProcess;
  try {
    server = await startServer({ ...options, db });
  } catch (error) {
    dir.remove();
    throw error;
  }
  return {
    dir: dir.path,
    db,
    server,
    cli: (args, input) => cliOk([...args, '--db', db], input === undefined ? { env } : { env, input }),
    cliJson: (args) => cliJson([...args, '--db', db], { env }),
    async close() {
      await server.stop();
      dir.remove();
    },
  };
}
