// Seeds the database of the Gatehouse bench server (bench/servers/gatehouse-server.ts), in a
// process of its own so that the garbage of 10 000 client creations does not count in the
// server's RSS. `BENCH_DIR` is the data directory (database and master key);
// BENCH_CLIENTS clients (default 10 000) in tenant `acme`, the benchmarked one in the middle;
// BENCH_ALG=RS256 rotates to an RS256 key; BENCH_GRANTS=1 adds a user of `acme` and a
// confidential client for the authorization code and refresh token grants.
// Prints `SEEDED <json>` (bench/servers/gatehouse-server.ts reads it) and exits.
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import { BENCH_TENANT, GRANTS_REDIRECT_URI, type Seeded } from './bench-data.js';

const dir = process.env.BENCH_DIR;
if (!dir) throw new Error('BENCH_DIR is required');
const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`, logLevel: 'warn' });
const gatehouse = await openGatehouse(config);
try {
  await gatehouse.admin.tenants.create({ slug: BENCH_TENANT });
  const count = Number(process.env.BENCH_CLIENTS ?? 10_000);
  let chosen: { id: string; secret: string } | undefined;
  for (let i = 0; i < count; i++) {
    const { client, secret } = await gatehouse.admin.clients.create({ tenant: BENCH_TENANT, name: `client ${i}`, scope: 'documents:read documents:write', defaultScope: 'documents:read' });
    if (i === Math.floor(count / 2)) chosen = { id: client.id, secret: secret! };
  }
  const seeded: Seeded = { client: chosen! };
  if (process.env.BENCH_GRANTS === '1') {
    const user = await gatehouse.admin.users.create({ tenant: BENCH_TENANT, username: 'bench-user', password: 'bench-password-0123456789' });
    const { client, secret } = await gatehouse.admin.clients.create({
      tenant: BENCH_TENANT,
      name: 'bench web app',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [GRANTS_REDIRECT_URI],
      scope: 'documents:read documents:write',
      defaultScope: 'documents:read',
    });
    seeded.grants = { client: { id: client.id, secret: secret! }, userId: user.id };
  }
  await gatehouse.admin.keys.ensureActive('ES256');
  if (process.env.BENCH_ALG === 'RS256') await gatehouse.admin.keys.rotate('RS256');
  console.log(`SEEDED ${JSON.stringify(seeded)}`);
} finally {
  await gatehouse.close();
}
