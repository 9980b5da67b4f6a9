/**
 * The PostgreSQL pool's limit (GATEHOUSE_DATABASE_POOL_SIZE, docs/performance.md): a
 * process never opens more connections than it says, however many requests are in
 * flight, and still answers them all (they wait for a free connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createClient, createTestGatehouse, getToken, introspect, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { createTempPostgresDatabase, POSTGRES_URL, SKIP_POSTGRES, type TempDatabase } from '../helpers/postgres.js';

/** Connections open to `database` now (from the test server's statistics). */
async function connectionsTo(database: TempDatabase): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('select count(*) from pg_stat_activity where datname = $1', [new URL(database.url).pathname.slice(1)]);
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL pool size (GATEHOUSE_DATABASE_POOL_SIZE)', { skip: SKIP_POSTGRES }, () => {
  let database: TempDatabase;
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    database = await createTempPostgresDatabase();
    t = await createTestGatehouse({ databaseUrl: database.url, config: { databasePoolSize: 2 } });
    client = await createClient(t.gatehouse);
  });
  after(async () => {
    await t?.close();
    await database?.drop();
  });

  it('opens at most databasePoolSize connections under concurrent requests, and answers every one', async () => {
    const tokens = await Promise.all(Array.from({ length: 40 }, () => getToken(t.app, client)));
    const described = await Promise.all(tokens.map((token) => introspect(t.app, client, token)));
    assert.ok(described.every((answer) => answer.active === true));
    const open = await connectionsTo(database);
    assert.ok(open >= 1 && open <= 2, `${open} connections open`);
  });
});
