/**
 * Black-box helpers: run the real `gatehouse` CLI (node bin/gatehouse.js, i.e. the
 * compiled dist/ a user gets after `npm install`) and real listening server processes.
 *
 * Every wait is bounded; every process started here is tracked by PID and killed when
 * the test file's process exits, even after a failure.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
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
}

export interface StartServerOptions {
  /** --db value. */
  db: string;
  /** --issuer value (processes of one cluster must share it). */
  issuer?: string;
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
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
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

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

/** POST an application/x-www-form-urlencoded body to a running server. */
export async function postForm(url: string, body: Record<string, string> | string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return readResponse(response);
}

export async function getUrl(url: string): Promise<HttpResult> {
  return readResponse(await fetch(url, { signal: AbortSignal.timeout(10_000) }));
}

async function readResponse(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** RFC 6749 §2.3.1 HTTP Basic credentials. */
export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export interface CurlResult {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
}

/** Runs the real curl binary with `args` (add -i to get the headers back) and parses its output. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile('curl', args, { timeout: 15_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      let rest = stdout;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (!rest.startsWith('HTTP/') || end === -1) {
          reject(new Error(`curl output has no HTTP status line (did you pass -i?): ${stdout}`));
          return;
        }
        const [statusLine, ...headerLines] = rest.slice(0, end).split('\r\n');
        const status = Number(statusLine!.split(' ')[1]);
        rest = rest.slice(end + 4);
        if (status === 100) continue;
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        resolve({ status, headers, body: rest });
        return;
      }
    });
  });
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
