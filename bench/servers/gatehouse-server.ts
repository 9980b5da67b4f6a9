// Bench contestant: `gatehouse serve` with the default SQLite store and a realistic database
// (BENCH_CLIENTS clients, default 10 000). BENCH_ALG=RS256 rotates to an RS256 key first.
// Prints `READY <port> <client_id> <client_secret>` when listening.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { openGatehouse } from '../../src/server/context.js';
import { startServer } from '../../src/server/serve.js';
import { freePort } from './free-port.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const port = await freePort();
const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`, port, logLevel: 'warn', demoApi: false });

// Seed: one tenant, many clients; the benchmarked client is one in the middle.
const seed = await openGatehouse(config);
await seed.admin.createTenant({ slug: 'acme' });
const count = Number(process.env.BENCH_CLIENTS ?? 10_000);
let chosen: { id: string; secret: string } | undefined;
for (let i = 0; i < count; i++) {
  const { client, secret } = await seed.admin.createClient({ tenant: 'acme', name: `client ${i}`, scope: 'documents:read documents:write', defaultScope: 'documents:read' });
  if (i === Math.floor(count / 2)) chosen = { id: client.id, secret: secret! };
}
await seed.admin.ensureSigningKey('ES256');
if (process.env.BENCH_ALG === 'RS256') await seed.admin.rotateSigningKey('RS256');
await seed.close();

const server = await startServer(config, { logger: { level: 'warn' } });
console.log(`READY ${port} ${chosen!.id} ${chosen!.secret}`);
process.on('SIGTERM', () => {
  void server.close().then(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
