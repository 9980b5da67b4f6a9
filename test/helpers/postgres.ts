import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server for tests, when one is configured (.ci/run sets it). */
export const POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL;

export const SKIP_POSTGRES = POSTGRES_URL ? false : 'GATEHOUSE_TEST_POSTGRES_URL is not set';

export interface TempDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the test server; `drop()` removes it (and its connections). */
export async function createTempPostgresDatabase(): Promise<TempDatabase> {
  if (!POSTGRES_URL) throw new Error('GATEHOUSE_TEST_POSTGRES_URL is not set');
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on the test server's admin connection (database-level DDL). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface StorageTarget {
  name: string;
  skip: string | false;
  /** A fresh, empty database URL and its cleanup. */
  create(dir: string): Promise<{ url: string; cleanup(): Promise<void> }>;
}

/** SQLite: a database file in the directory `create` is given. */
export const SQLITE_TARGET: StorageTarget = {
  name: 'sqlite',
  skip: false,
  create: async (dir) => ({ url: `sqlite:${dir}/contract-${randomBytes(4).toString('hex')}.db`, cleanup: async () => {} }),
};

/** PostgreSQL, when configured: a database of its own on the test server, dropped by `cleanup`. */
export const POSTGRES_TARGET: StorageTarget = {
  name: 'postgres',
  skip: SKIP_POSTGRES,
  create: async () => {
    const database = await createTempPostgresDatabase();
    return { url: database.url, cleanup: () => database.drop() };
  },
};

/** Every storage backend a contract test runs against: SQLite always, PostgreSQL when configured. */
export const STORAGE_TARGETS: StorageTarget[] = [SQLITE_TARGET, POSTGRES_TARGET];
