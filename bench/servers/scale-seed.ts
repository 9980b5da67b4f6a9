// The bulk seeder of the `scale` scenario: BENCH_SCALE clients and BENCH_SCALE live grants,
// each with a live refresh token never presented, written in bulk through the server's
// own SQL store: its schema (migrations), its Kysely handle and table types, multi-row
// INSERTs of ROWS_PER_STATEMENT rows, STATEMENTS_PER_TRANSACTION of them per transaction.
// Nothing one by one through the CLI or the admin services, except what there is one of:
// the tenant, the user, the grants client and the signing key, created through the admin
// services as an operator would.
//
// Each row is what the store itself writes (bench/servers/scale-rows.ts): a client's secret
// is a fresh generateClientSecret() kept as its HMAC digest (digestSecret, the store's key
// from the master key), a grant's code digest is digestCode of a fresh code, a refresh
// token is newRefreshToken's digest and lifetime. Of the BENCH_SCALE clients one, in the
// middle of the writing order (ids are random), is the benchmarked one: its secret is printed, no other is kept.
//
// Environment: BENCH_DIR (data dir: the SQLite file and the master key), BENCH_DATABASE_URL
// (another database, e.g. a scratch PostgreSQL database), BENCH_SCALE (default 10 000);
// BENCH_ALG=RS256 rotates to an RS256 key.
// Prints `SEEDED <json>` (bench-data.ts `Seeded`, with `scale`: timings, sizes, query
// plans) and exits.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import { parseDatabaseUrl, type SqlStorage } from '../../packages/server/src/store/sql/index.js';
import type { Database } from '../../packages/server/src/store/sql/schema.js';
import { BENCH_TENANT, GRANTS_REDIRECT_URI, type Seeded } from './bench-data.js';
import { explainHotStatements } from './query-plans.js';
import { clientRows, grantRows } from './scale-rows.js';

/** Rows per INSERT: within SQLite's 32 766 and PostgreSQL's 65 535 bound parameters (22 columns × 1 000). */
const ROWS_PER_STATEMENT = 1000;
const STATEMENTS_PER_TRANSACTION = 10;

const dir = process.env.BENCH_DIR;
if (!dir) throw new Error('BENCH_DIR is required');
const count = Number(process.env.BENCH_SCALE ?? 10_000);
if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_SCALE must be a positive integer (got ${process.env.BENCH_SCALE})`);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'gatehouse.db')}`;
const parsedUrl = parseDatabaseUrl(databaseUrl);
const config = loadConfig({ databaseUrl, dataDir: dir, logLevel: 'warn' });
const gatehouse = await openGatehouse(config);
const storage = gatehouse.storage as SqlStorage;
if (!('db' in storage)) throw new Error('scale-seed.ts expects the SQL storage');
const db: Kysely<Database> = storage.db;

/** Rows written per transaction. */
const PER_TRANSACTION = ROWS_PER_STATEMENT * STATEMENTS_PER_TRANSACTION;

/** `count` rows in bulk: `write(trx, rows)` writes the next `rows` (at most ROWS_PER_STATEMENT); returns the milliseconds it took. */
async function inBulk(what: string, write: (trx: Kysely<Database>, rows: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < count; from += PER_TRANSACTION) {
    const to = Math.min(count, from + PER_TRANSACTION);
    await db.transaction().execute(async (trx) => {
      for (let start = from; start < to; start += ROWS_PER_STATEMENT) await write(trx, Math.min(to, start + ROWS_PER_STATEMENT) - start);
    });
    if (to % 100_000 === 0 && to < count) console.error(`  scale-seed: ${what} ${to} / ${count} (${Math.round((performance.now() - started) / 1000)} s)`);
  }
  return performance.now() - started;
}

try {
  const started = performance.now();
  const tenant = await gatehouse.admin.tenants.create({ slug: BENCH_TENANT });
  const user = await gatehouse.admin.users.create({ tenant: BENCH_TENANT, username: 'bench-user', password: 'bench-password-0123456789' });
  const grantsClient = await gatehouse.admin.clients.create({
    tenant: BENCH_TENANT,
    name: 'bench web app',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [GRANTS_REDIRECT_URI],
    scope: 'documents:read documents:write',
    defaultScope: 'documents:read',
  });
  await gatehouse.admin.keys.ensureActive('ES256');
  if (process.env.BENCH_ALG === 'RS256') await gatehouse.admin.keys.rotate('RS256');
  const now = Date.now();

  const clients = clientRows({ tenantId: tenant.id, digestKey: gatehouse.digestKey, count, chosen: Math.floor(count / 2), now });
  let written = 0;
  const clientsMs = await inBulk('clients', async (trx, rows) => {
    await trx.insertInto('clients').values(clients.make(written, written + rows)).execute();
    written += rows;
  });
  // A grant and its refresh token in the same transaction, as the code exchange writes them.
  const grants = grantRows({ client: grantsClient.client, userId: user.id, masterKey: gatehouse.masterKey.key, now });
  const grantsMs = await inBulk('grants and refresh tokens', async (trx, rows) => {
    const batch = grants.make(rows);
    await trx.insertInto('grants').values(batch.grants).execute();
    await trx.insertInto('refresh_tokens').values(batch.refreshTokens).execute();
  });

  // Fresh planner statistics, as autovacuum's ANALYZE would soon gather (PostgreSQL); SQLite:
  // the WAL folded into the file, so that its size is the database's.
  let bytes: number;
  if (storage.dialect === 'postgres') {
    await sql`ANALYZE`.execute(db);
    const { rows } = await sql<{ size: string }>`SELECT pg_database_size(current_database()) AS size`.execute(db);
    bytes = Number(rows[0]!.size);
  } else {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    bytes = parsedUrl.dialect === 'sqlite' ? statSync(parsedUrl.path).size : 0;
  }
  const seedMs = performance.now() - started;
  const plans = await explainHotStatements(databaseUrl, { clientId: clients.chosen.id, grantsClientId: grantsClient.client.id, userId: user.id, refresh: grants.sample });
  const seeded: Seeded = {
    client: clients.chosen,
    grants: { client: { id: grantsClient.client.id, secret: grantsClient.secret! }, userId: user.id },
    scale: { count, seedMs, clientsMs, grantsMs, bytes, plans },
  };
  console.log(`SEEDED ${JSON.stringify(seeded)}`);
} finally {
  await gatehouse.close();
}
