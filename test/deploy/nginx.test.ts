/**
 * docs/examples/deploy/nginx.conf for real, where an nginx binary is at hand: three
 * `gatehouse serve` processes on one PostgreSQL behind the example configuration (only its
 * addresses, ports and file paths changed for this machine), reached over TLS.
 *
 * nginx is not installed where CI runs, so this is skipped there, saying so. Run it with
 * GATEHOUSE_TEST_NGINX=/path/to/nginx (any nginx 1.22 or later; before 1.25.1 the example's
 * `http2 on;` line is left out) and GATEHOUSE_TEST_POSTGRES_URL.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliJson, cliOk } from '../cli/in-process.js';
import { form } from '../helpers/http.js';
import { createTempPostgresDatabase, SKIP_POSTGRES, type TempDatabase } from '../helpers/postgres.js';
import { freePort, startServer, type ServerProcess } from '../helpers/process.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { sleep, waitFor } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';

function findNginx(): string | undefined {
  const candidates = [process.env.GATEHOUSE_TEST_NGINX, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

const NGINX = findNginx();
const HAS_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const SKIP =
  SKIP_POSTGRES ||
  (NGINX === undefined ? 'no nginx binary (set GATEHOUSE_TEST_NGINX=/path/to/nginx): docs/examples/deploy/nginx.conf is not exercised' : false) ||
  (HAS_OPENSSL ? false : 'openssl is not installed (it makes the test certificate)');

const ISSUER = 'https://auth.example.com';

/** nginx's version as [major, minor, patch] (it prints `nginx version: nginx/1.22.1` on stderr). */
function nginxVersion(binary: string): number[] {
  const text = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr;
  const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(text);
  assert.ok(match, `cannot read the version of ${binary}: ${text}`);
  return match.slice(1).map(Number);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through nginx, from `localAddress` (another loopback address than nginx's own). */
function send(options: { tls: boolean; port: number; path: string; method?: string; headers?: Record<string, string>; body?: string; ca?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const requestOptions = {
      host: '127.0.0.1',
      port: options.port,
      path: options.path,
      method: options.method ?? 'GET',
      localAddress: '127.0.0.2',
      headers: { host: 'auth.example.com', ...options.headers },
      ...(options.tls ? { ca: options.ca, servername: 'auth.example.com' } : {}),
      agent: false,
      timeout: 10_000,
    };
    const sent = (options.tls ? httpsRequest : httpRequest)(requestOptions, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    sent.on('timeout', () => sent.destroy(new Error('timed out')));
    sent.on('error', reject);
    sent.end(options.body);
  });
}

describe('docs/examples/deploy/nginx.conf in front of three gatehouse serve processes', { skip: SKIP }, () => {
  const dir = createTempDir('gatehouse-nginx-');
  const servers: ServerProcess[] = [];
  let database: TempDatabase | undefined;
  let nginx: ChildProcess | undefined;
  let httpsPort = 0;
  let httpPort = 0;
  let ca = '';
  let client: { client_id: string; client_secret: string };
  const killNginx = () => {
    if (nginx?.pid !== undefined && nginx.exitCode === null && nginx.signalCode === null) process.kill(nginx.pid, 'SIGKILL');
  };
  process.on('exit', killNginx);

  before(async () => {
    database = await createTempPostgresDatabase();
    const env = { GATEHOUSE_MASTER_KEY_FILE: join(dir.path, 'master.key'), GATEHOUSE_TRUST_PROXY: '127.0.0.1' };
    await cliOk(['migrate', '--db', database.url], { env });
    await cliOk(['tenant', 'create', 'acme', '--db', database.url], { env });
    client = await cliJson(['client', 'create', '--tenant', 'acme', '--name', 'Through nginx', '--db', database.url], { env });
    for (let i = 0; i < 3; i++) servers.push(await startServer({ db: database.url, issuer: ISSUER, env }));

    // The example, with this machine's addresses, ports and paths.
    const prefix = join(dir.path, 'nginx');
    for (const sub of ['logs', 'tls', 'temp']) mkdirSync(join(prefix, sub), { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=auth.example.com', '-addext', 'subjectAltName=DNS:auth.example.com', '-days', '1', '-keyout', join(prefix, 'tls', 'key.pem'), '-out', join(prefix, 'tls', 'cert.pem')], { stdio: 'ignore' });
    ca = readFileSync(join(prefix, 'tls', 'cert.pem'), 'utf8');
    httpsPort = await freePort();
    httpPort = await freePort();
    let conf = readFileSync(new URL('../../docs/examples/deploy/nginx.conf', import.meta.url), 'utf8');
    servers.forEach((server, i) => (conf = conf.replace(`server gatehouse-${i + 1}:8080`, `server 127.0.0.1:${server.port}`)));
    conf = conf
      .replace('/etc/nginx/tls/auth.example.com.crt', join(prefix, 'tls', 'cert.pem'))
      .replace('/etc/nginx/tls/auth.example.com.key', join(prefix, 'tls', 'key.pem'))
      .replace('/var/log/nginx/', `${join(prefix, 'logs')}/`)
      .replace(/listen (\[::\]:)?443 ssl;/g, (_line, v6: string | undefined) => (v6 ? '' : `listen 127.0.0.1:${httpsPort} ssl;`))
      .replace(/listen (\[::\]:)?80;/g, (_line, v6: string | undefined) => (v6 ? '' : `listen 127.0.0.1:${httpPort};`));
    assert.ok(!/server gatehouse-/.test(conf) && conf.includes(`127.0.0.1:${httpsPort}`), 'every address of the example was replaced');
    const [major = 0, minor = 0, patch = 0] = nginxVersion(NGINX!);
    if (major * 1e6 + minor * 1e3 + patch < 1_025_001) conf = conf.replace(/^\s*http2 on;.*$/m, '');
    writeFileSync(join(prefix, 'gatehouse.conf'), conf);
    const temp = join(prefix, 'temp');
    writeFileSync(
      join(prefix, 'nginx.conf'),
      [
        `pid ${join(prefix, 'nginx.pid')};`,
        `error_log ${join(prefix, 'logs', 'error.log')};`,
        'events {}',
        'http {',
        // nginx's compiled-in defaults point into /var: keep everything under the prefix.
        `  access_log ${join(prefix, 'logs', 'access.log')};`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(temp, kind)};`),
        `  include ${join(prefix, 'gatehouse.conf')};`,
        '}',
      ].join('\n'),
    );
    const check = spawnSync(NGINX!, ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(check.status, 0, `nginx -t:\n${check.stderr}\n${existsSync(join(prefix, 'logs', 'error.log')) ? readFileSync(join(prefix, 'logs', 'error.log'), 'utf8') : ''}`);
    nginx = spawn(NGINX!, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitFor('nginx to answer', async () => ((await send({ tls: true, port: httpsPort, path: '/healthz', ca })).status === 200 ? true : undefined), { timeoutMs: 15_000 });
  });

  after(async () => {
    if (nginx?.pid !== undefined && nginx.exitCode === null) {
      process.kill(nginx.pid, 'SIGTERM');
      for (let i = 0; i < 50 && nginx.exitCode === null && nginx.signalCode === null; i++) await sleep(100);
      killNginx();
    }
    for (const server of servers) await server.stop();
    await database?.drop();
    dir.remove();
  });

  it('issues tokens over TLS from all three processes', async () => {
    for (let i = 0; i < 9; i++) {
      const answer = await send({
        tls: true,
        port: httpsPort,
        path: '/oauth/token',
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.client_id, client.client_secret) },
        body: form({ grant_type: 'client_credentials' }),
      });
      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as { token_type: string }).token_type, 'Bearer');
    }
    await waitFor('each process to log a token request', async () =>
      servers.every((server) => server.logLines().some((line) => (line.req as { path?: string } | undefined)?.path === '/oauth/token')) ? true : undefined,
    );
  });

  it("gives Gatehouse the client's address, not one the client forged, and not nginx's", async () => {
    const answer = await send({ tls: true, port: httpsPort, path: '/.well-known/oauth-authorization-server', ca, headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { issuer: string }).issuer, ISSUER);
    await waitFor('the request line of the metadata request', async () =>
      servers.some((server) => server.logLines().some((line) => (line.req as { path?: string } | undefined)?.path === '/.well-known/oauth-authorization-server')) ? true : undefined,
    );
    const addresses = servers.flatMap((server) =>
      server
        .logLines()
        .map((line) => line.req as { path?: string; remoteAddress?: string } | undefined)
        .filter((req) => req?.path === '/.well-known/oauth-authorization-server')
        .map((req) => req!.remoteAddress),
    );
    // The test connects from 127.0.0.2; nginx connects to Gatehouse from 127.0.0.1 (the trusted proxy).
    assert.deepEqual(addresses, ['127.0.0.2']);
  });

  it('answers plain http with a redirect to https only', async () => {
    const answer = await send({ tls: false, port: httpPort, path: '/oauth/token?x=1', method: 'POST', body: '' });
    assert.equal(answer.status, 301);
    assert.equal(answer.headers.location, 'https://auth.example.com/oauth/token?x=1');
  });
});
