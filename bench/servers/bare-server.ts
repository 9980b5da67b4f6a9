// The bare token server (a reference, not a limit: it measures about as Gatehouse does, and
// the physical floor, bench/servers/http-floor-server.ts and sign-rate.ts, is what one core
// can do at all): a bare node:http server that parses the same request (form body, HTTP
// Basic, constant-time secret check) and answers with a freshly signed ES256 JWT of the
// same size, using node:crypto directly. It validates nothing else.
// BENCH_WAVES=1: the same work, done in waves as Gatehouse does it (docs/performance.md,
// "Requests in waves"): each request's work is queued when its body has been read, and
// the queue is worked off in the event loop's check phase (setImmediate), after the
// requests that turn's poll phase has read.
// Prints `READY <port> <client_id> <client_secret>`.
import { generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { freePort } from './free-port.js';

const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const clientId = 'bench-client';
const clientSecret = Buffer.from('gatehouse_secret_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG');
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k0123456789abcdefghijklmnopqrstuvwxyzABCDE' })).toString('base64url');

const queued: (() => void)[] = [];
function workOffQueue(): void {
  for (const work of queued.splice(0)) work();
}
const inWaves = process.env.BENCH_WAVES === '1';
function run(work: () => void): void {
  if (!inWaves) return work();
  if (queued.length === 0) setImmediate(workOffQueue);
  queued.push(work);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => run(() => {
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [id, secret] = Buffer.from(encoded ?? '', 'base64').toString('utf8').split(':');
    const presented = Buffer.from(secret ?? '');
    const ok = scheme === 'Basic' && id === clientId && presented.length === clientSecret.length && timingSafeEqual(presented, clientSecret) && params.get('grant_type') === 'client_credentials';
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      return;
    }
    const iat = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({ iss: issuer, sub: id, aud: `${issuer}/api`, client_id: id, scope: params.get('scope') ?? 'documents:read', tenant: 'acme', jti: randomBytes(16).toString('base64url'), iat, exp: iat + 3600, client_epoch: 0 }),
    ).toString('base64url');
    const input = `${header}.${payload}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const body = JSON.stringify({ access_token: `${input}.${signature}`, token_type: 'Bearer', expires_in: 3600, scope: params.get('scope') ?? 'documents:read' });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' }).end(body);
  }));
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${port} ${clientId} ${clientSecret.toString()}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
