/**
 * Helpers for the @gatehouse-auth/client tests: a real `gatehouse serve` process set up with
 * the real CLI, a fetch that records what the SDK sends, a clock the test moves, and a
 * tiny HTTP front that can answer for the real server (503, 429, …) before forwarding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cliOk, startSqliteServer, type ServerProcess } from '../helpers/process.js';
import { sleep, waitFor } from '../helpers/timing.js';

export interface RealGatehouse {
  server: ServerProcess;
  /** The issuer as the server's metadata spells it. */
  issuer: string;
  tokenEndpoint: string;
  cli(args: string[], input?: string): Promise<void>;
  /** A confidential client_credentials client (tenant created when needed). */
  createClient(options?: { tenant?: string; args?: string[] }): Promise<{ clientId: string; clientSecret: string }>;
  /** `gatehouse client rotate-secret <id>` (after `--`: a client id may start with "-"). */
  rotateSecret(clientId: string): Promise<void>;
  /** How many token requests the server has logged so far. */
  tokenRequestsLogged(): number;
  /** Waits until the server's log shows `count` token requests (pino writes asynchronously). */
  waitForTokenRequestsLogged(count: number): Promise<number>;
  close(): Promise<void>;
}

/** A real `gatehouse serve` on its own SQLite database, with the tenants acme and globex. */
export async function startGatehouse(): Promise<RealGatehouse> {
  const gatehouse = await startSqliteServer('gatehouse-client-');
  const { server, db } = gatehouse;
  const cli = async (args: string[], input?: string) => {
    await gatehouse.cli(args, input);
  };
  await cli(['tenant', 'create', 'acme', '--name', 'Acme']);
  await cli(['tenant', 'create', 'globex', '--name', 'Globex']);
  const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(10_000) })).json()) as { issuer: string; token_endpoint: string };
  const tokenRequestsLogged = () =>
    server.logLines().filter((line) => line.msg === 'request completed' && (line.req as { path?: string } | undefined)?.path === '/oauth/token').length;
  let clients = 0;
  return {
    server,
    issuer: metadata.issuer,
    tokenEndpoint: metadata.token_endpoint,
    cli,
    async createClient(options = {}) {
      const created = await gatehouse.cliJson<{ client_id: string; client_secret: string }>([
        'client', 'create', '--tenant', options.tenant ?? 'acme', '--name', `SDK test ${++clients}`,
        '--scope', 'documents:read documents:write', ...(options.args ?? []),
      ]);
      return { clientId: created.client_id, clientSecret: created.client_secret };
    },
    async rotateSecret(clientId) {
      await cliOk(['client', 'rotate-secret', '--json', '--db', db, '--', clientId]);
    },
    tokenRequestsLogged,
    async waitForTokenRequestsLogged(count) {
      await waitFor(`${count} token requests in the server log`, async () => (tokenRequestsLogged() >= count ? true : undefined), { timeoutMs: 5_000 });
      await sleep(100); // and no more than that arrive late
      return tokenRequestsLogged();
    },
    close: () => gatehouse.close(),
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  /** The form body, for POSTs with a string or URLSearchParams body. */
  form: URLSearchParams | undefined;
}

/** globalThis.fetch, recording every request the SDK makes. */
export function recordingFetch(tokenEndpoint?: string): { fetch: typeof fetch; requests: RecordedRequest[]; tokenRequests(): RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const body = init?.body;
    requests.push({
      method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
      url,
      headers: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)),
      form: typeof body === 'string' || body instanceof URLSearchParams ? new URLSearchParams(body) : undefined,
    });
    return fetch(input, init);
  };
  return {
    fetch: recording,
    requests,
    tokenRequests: () => requests.filter((request) => request.method === 'POST' && (tokenEndpoint === undefined || request.url === tokenEndpoint) && request.form?.has('grant_type')),
  };
}

/** A clock the test moves; starts at the real time. */
export function manualClock(): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms) => void (now += ms),
    set: (ms) => void (now = ms),
  };
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

export type FrontAction = (request: IncomingMessage, body: string, response: ServerResponse) => boolean | Promise<boolean>;

/**
 * A local HTTP server in front of `target`: each request goes to `action` first, which
 * may answer it (returns true); otherwise it is forwarded as it is. Counts requests.
 */
export async function startFront(target: string, action: FrontAction): Promise<{ url: string; requests: { method: string; path: string; body: string }[]; close(): Promise<void> }> {
  const requests: { method: string; path: string; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', path: request.url ?? '', body });
      void (async () => {
        if (await action(request, body, response)) return;
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
        const forwarded = await fetch(`${target}${request.url}`, { method: request.method, headers, ...(body ? { body } : {}), redirect: 'manual' });
        const answer = Buffer.from(await forwarded.arrayBuffer());
        const out: Record<string, string> = {};
        forwarded.headers.forEach((value, name) => {
          if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') out[name] = value;
        });
        out['content-length'] = String(answer.length);
        response.writeHead(forwarded.status, out).end(answer);
      })().catch((error: unknown) => {
        response.writeHead(599).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('could not read the port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
}

/** Answers with a JSON body (an RFC 6749 §5.2 error, usually). */
export function answer(response: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): true {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  return true;
}

/**
 * A user signing in at Gatehouse's authorization endpoint over plain HTTP, as a browser
 * would (cookie, CSRF token, login form, consent form); returns the redirect back to the
 * application (the `Location`, not followed) and the HTML of the consent page, when one
 * was shown.
 */
export async function signIn(
  authorizeUrl: string,
  user: { username: string; password: string },
  consent: { tenants: string[]; decision?: 'allow' | 'deny' },
): Promise<{ callback: string; consentPage: string | undefined }> {
  const origin = new URL(authorizeUrl).origin;
  const csrfOf = (html: string) => {
    const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token on the page: ${html.slice(0, 300)}`);
    return token;
  };
  const cookieOf = (response: Response, previous?: string) => response.headers.getSetCookie()[0]?.split(';', 1)[0] ?? previous;
  const location = (response: Response) => {
    if (response.status !== 302) throw new Error(`expected a redirect back to the application, got ${response.status}`);
    return response.headers.get('location')!;
  };
  const post = (path: string, cookie: string | undefined, fields: [string, string][]) =>
    fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });

  const start = await fetch(authorizeUrl, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  if (start.status === 302) return { callback: location(start), consentPage: undefined }; // an error sent straight back
  if (start.status !== 200) throw new Error(`the authorization endpoint answered ${start.status}: ${await start.text()}`);
  let cookie = cookieOf(start);
  const login = await post('/oauth/authorize/login', cookie, [['csrf_token', csrfOf(await start.text())], ['username', user.username], ['password', user.password]]);
  if (login.status === 302) return { callback: location(login), consentPage: undefined }; // consent remembered
  if (login.status !== 200) throw new Error(`the login answered ${login.status}`);
  cookie = cookieOf(login, cookie);
  const consentPage = await login.text();
  const decided = await post('/oauth/authorize/consent', cookie, [
    ['csrf_token', csrfOf(consentPage)],
    ...consent.tenants.map((tenant): [string, string] => ['tenant', tenant]),
    ['decision', consent.decision ?? 'allow'],
  ]);
  return { callback: location(decided), consentPage };
}
