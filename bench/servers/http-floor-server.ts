// The HTTP half of the physical floor of one core (docs/performance.md, "The floor"): a bare
// node:http server that reads each request (headers and body) and answers with one fixed,
// token-sized JSON body (an ES256 access token response of the size Gatehouse sends, made
// once at start), with the headers Gatehouse's token endpoint sends. No parsing of the
// form, no credentials, no signature: what node:http alone spends answering a token request.
// The other half, one ES256 signature, is measured by bench/servers/sign-rate.ts.
// Prints `READY <port> <client_id> <client_secret>` (neither is checked).
import { createServer } from 'node:http';
import { freePort } from './free-port.js';
import { tokenResponseBody } from './token-body.js';

const port = await freePort();
const body = Buffer.from(tokenResponseBody(`http://127.0.0.1:${port}`));
const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, headers).end(body));
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${port} bench-client unchecked-secret`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
