/**
 * Limits (issue 16, "The suite"): 10 MB bodies, 64 KB headers, 1 MB JWT segments and
 * 200,000 parameters are refused (413, 431 or 400, or the connection is closed), and the
 * very next request is answered. A real listening server (startServer on port 0): header
 * limits are enforced by Node's HTTP parser, which fastify.inject bypasses. Statuses only,
 * never times.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server/serve.js';
import { createClient, type TestClient } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { basicAuth } from '../helpers/tokens.js';

const MB = 1024 * 1024;

interface Answer {
  /** The status, or 'closed' when the server ended the connection before answering. */
  status: number | 'closed';
  body: string;
  contentType: string;
}

/** One request on a connection of its own; a connection the server closes (ECONNRESET, EPIPE) is an answer too. */
function send(base: string, method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers, agent: false, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk.length + text.length > 100_000 ? '' : chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', () => resolve({ status: res.statusCode!, body: text, contentType: String(res.headers['content-type'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 'closed', body: '', contentType: '' });
      else reject(error);
    });
    req.end(body);
  });
}

const JWKS = '/.well-known/jwks.json';

/** A request written byte for byte (what no HTTP client would send); the status line's code, or 'closed'. */
function sendRaw(base: string, bytes: Buffer): Promise<number | 'closed'> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let answer = '';
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer to a raw request')));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve('closed') : reject(error)));
    socket.on('close', () => resolve('closed'));
    socket.end(bytes);
  });
}

/** Replay: GATEHOUSE_FUZZ_SEED (as in fuzz-endpoints.test.ts). */
const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 16_016);

describe('limits: huge bodies, headers, tokens and parameter counts are refused, and the server keeps answering', () => {
  let dir: TempDir;
  let server: RunningServer;
  let client: TestClient;
  let token: string;
  let adminToken: string;

  before(async () => {
    dir = createTempDir('gatehouse-limits-');
    const config = loadConfig({ databaseUrl: dir.sqliteUrl, dataDir: dir.path, issuer: 'http://127.0.0.1:8080', host: '127.0.0.1', port: 0, logLevel: 'silent' });
    server = await startServer(config, { logger: false, env: {} });
    client = await createClient(server.gatehouse, { tenant: 'acme', grantTypes: ['client_credentials'], scope: 'documents:read documents:write', defaultScope: 'documents:read documents:write' });
    const answer = await send(server.url, 'POST', '/oauth/token', { 'content-type': FORM, authorization: basicAuth(client.clientId, client.secret) }, 'grant_type=client_credentials');
    assert.equal(answer.status, 200, answer.body);
    token = (JSON.parse(answer.body) as { access_token: string }).access_token;
    const operator = await server.gatehouse.admin.operatorClients.create({ name: 'Automation' });
    const adminAnswer = await send(server.url, 'POST', '/oauth/token', { 'content-type': FORM, authorization: basicAuth(operator.client.id, operator.secret!) }, 'grant_type=client_credentials');
    assert.equal(adminAnswer.status, 200, adminAnswer.body);
    adminToken = (JSON.parse(adminAnswer.body) as { access_token: string }).access_token;
  });
  after(async () => {
    await server?.close();
    dir?.remove();
  });

  /** Sends the oversized request, checks its status is one of `allowed`, then that the next request is answered. */
  const refusedThenServing = async (answer: Answer, allowed: (number | 'closed')[], what: string) => {
    assert.ok(allowed.includes(answer.status), `${what}: ${answer.status} ${answer.body.slice(0, 300)}`);
    if (typeof answer.status === 'number' && answer.status >= 400 && answer.body !== '') {
      // A refusal in words (JSON for an API, a page for a browser form): never a stack or Fastify's own error body.
      assert.doesNotMatch(answer.body, /\bat .*:\d+:\d+|FST_/, what);
      if (/json/.test(answer.contentType)) JSON.parse(answer.body);
      else assert.match(answer.contentType, /^text\/html/, `${what}: ${answer.contentType}`);
    }
    const next = await send(server.url, 'GET', JWKS, {});
    assert.equal(next.status, 200, `after ${what}: the next request is answered`);
    const api = await send(server.url, 'GET', '/api/files', { authorization: `Bearer ${token}`, 'x-tenant': 'acme' });
    assert.equal(api.status, 200, `after ${what}: the demo API answers`);
  };

  const big = (bytes: number, fill = 'a') => Buffer.alloc(bytes, fill);

  it('a 10 MB body at every endpoint that reads one: 413 (or the connection closed)', async () => {
    const tenMb = 10 * MB;
    const form = Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), big(tenMb)]);
    const auth = { authorization: basicAuth(client.clientId, client.secret) };
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/authorize/login', '/oauth/authorize/consent', '/account/login', '/admin/login']) {
      await refusedThenServing(await send(server.url, 'POST', path, { 'content-type': FORM, ...auth }, form), [413, 'closed'], `10 MB form at ${path}`);
    }
    const json = Buffer.concat([Buffer.from('{"slug":"'), big(tenMb), Buffer.from('"}')]);
    await refusedThenServing(await send(server.url, 'POST', '/admin/api/v1/tenants', { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, json), [413, 'closed'], '10 MB JSON at the admin API');
    await refusedThenServing(await send(server.url, 'POST', '/admin/api/v1/tenants', { 'content-type': 'application/json' }, json), [401, 413, 'closed'], '10 MB JSON at the admin API, no token');
    // The demo's upload limit is 10 MiB: one byte more is refused.
    const boundary = 'limits-boundary';
    const upload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`),
      big(tenMb + 1),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await refusedThenServing(
      await send(server.url, 'POST', '/api/files', { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, upload),
      [413, 'closed'],
      '10 MiB + 1 upload at the demo API',
    );
    // Without a Content-Length: chunked, the same limit.
    await refusedThenServing(await send(server.url, 'POST', '/oauth/token', { 'content-type': FORM, 'transfer-encoding': 'chunked', ...auth }, form), [413, 'closed'], '10 MB chunked form at /oauth/token');
  });

  it('64 KB of headers: 431 (or the connection closed)', async () => {
    await refusedThenServing(await send(server.url, 'GET', JWKS, { 'x-padding': 'a'.repeat(64 * 1024) }), [431, 'closed'], 'one 64 KB header');
    const many: Record<string, string> = {};
    for (let i = 0; i < 1024; i++) many[`x-h${i}`] = 'a'.repeat(60);
    await refusedThenServing(await send(server.url, 'GET', JWKS, many), [431, 'closed'], '1,024 headers of 64 bytes');
    await refusedThenServing(await send(server.url, 'GET', `/oauth/authorize?state=${'a'.repeat(64 * 1024)}`, {}), [414, 431, 'closed'], 'a 64 KB URL');
  });

  it('a 1 MB JWT segment: as a bearer token at the demo API (431) and as `token` at introspection (413)', async () => {
    const [header, , signature] = token.split('.');
    const huge = `${header}.${'A'.repeat(MB)}.${signature}`;
    await refusedThenServing(await send(server.url, 'GET', '/api/files', { authorization: `Bearer ${huge}`, 'x-tenant': 'acme' }), [400, 401, 431, 'closed'], '1 MB bearer token');
    const hugeHeader = `${'e'.repeat(MB)}.${token.split('.')[1]}.${signature}`;
    await refusedThenServing(
      await send(server.url, 'POST', '/oauth/introspect', { 'content-type': FORM, authorization: basicAuth(client.clientId, client.secret) }, `token=${huge}`),
      [413, 'closed'],
      '1 MB JWT payload at introspection',
    );
    await refusedThenServing(
      await send(server.url, 'POST', '/oauth/revoke', { 'content-type': FORM, authorization: basicAuth(client.clientId, client.secret) }, `token=${hugeHeader}`),
      [413, 'closed'],
      '1 MB JWT header at revocation',
    );
  });

  it('raw bytes in the request line and headers (overlong UTF-8, NUL, bidi, bare CR/LF): never a 5xx, and the server keeps answering', async () => {
    const piece = fc.oneof(
      fc.constantFrom('%C0%AF', '\xC0\xAF', '\xC0\x80', '\x00', '%00', '\xE2\x80\xAE', '\xFF', '\r', '\n', ' ', '\t', '..', '/', '?', '#', '%', '%2e', '\\', '"', 'a=b&a=c'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    );
    const text = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'BREW', 'get', 'CONNECT'),
        fc.constantFrom('/oauth/token', '/oauth/authorize', '/oauth/introspect', '/oauth/revoke', '/admin/api/v1/tenants', '/api/files', '/', '*', 'http://127.0.0.1/oauth/token'),
        text,
        fc.array(fc.tuple(fc.constantFrom('Authorization', 'Content-Type', 'Content-Length', 'Transfer-Encoding', 'X-Tenant', 'Host', 'Cookie', 'X\x00Y', 'Bad Name'), text), { maxLength: 4 }),
        text,
        async (verb, path, suffix, headers, body) => {
          const head = [`${verb} ${path}${suffix} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([name, value]) => `${name}: ${value}`), 'Connection: close'];
          const status = await sendRaw(server.url, Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1'));
          assert.ok(status === 'closed' || status < 500, `${JSON.stringify(head)} -> ${status}`);
        },
      ),
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
    const next = await send(server.url, 'GET', JWKS, {});
    assert.equal(next.status, 200);
  });

  it('200,000 parameters: in a form, a query string, a JSON body and a multipart upload', async () => {
    const params = Array.from({ length: 200_000 }, (_, i) => `p${i}=1`).join('&');
    const repeated = 'scope=a&'.repeat(200_000);
    const auth = { authorization: basicAuth(client.clientId, client.secret) };
    await refusedThenServing(await send(server.url, 'POST', '/oauth/token', { 'content-type': FORM, ...auth }, `grant_type=client_credentials&${params}`), [400, 413, 'closed'], '200,000 form parameters');
    await refusedThenServing(await send(server.url, 'POST', '/oauth/token', { 'content-type': FORM, ...auth }, `grant_type=client_credentials&${repeated}`), [400, 413, 'closed'], '200,000 repeated parameters');
    await refusedThenServing(await send(server.url, 'GET', `/oauth/authorize?${params}`, {}), [400, 414, 431, 'closed'], '200,000 query parameters');
    const json = JSON.stringify(Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, 1])));
    await refusedThenServing(await send(server.url, 'POST', '/admin/api/v1/tenants', { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, json), [400, 413, 'closed'], '200,000 JSON members');
    // Within the demo's 10 MiB: 200,000 tiny form fields in one multipart body.
    const boundary = 'b';
    const fields = Buffer.from(`${`--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n`.repeat(200_000)}--${boundary}--\r\n`);
    await refusedThenServing(
      await send(server.url, 'POST', '/api/files', { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, fields),
      [400, 413, 'closed'],
      '200,000 multipart fields',
    );
  });
});
