// Scratch PostgreSQL databases for the bench's PostgreSQL contestants: created on the server
// the base URL names (`--postgres`, env GATEHOUSE_BENCH_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/postgres), one per contestant, and dropped when the
// scenario stops (and on exit, should the harness fail before that).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  /** The URL of the new, empty database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

let base: string | undefined;
/** Why PostgreSQL contestants are skipped (a line for the console and the report), or undefined. */
let unavailable: string | undefined = 'not checked yet';
const created = new Set<string>();

async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await client.query<R>(text);
  } finally {
    await client.end();
  }
}

/** The server's URL with its password hidden, for the report. */
export function describePostgres(): string {
  if (!base) return 'off';
  const url = new URL(base);
  if (url.password) url.password = '***';
  return url.href;
}

/**
 * Sets the server (`off`: none) and checks that it answers; returns the reason when it does
 * not (the PostgreSQL contestants are then skipped, with that line in the report).
 */
export async function usePostgres(url: string): Promise<string | undefined> {
  if (url === 'off') {
    base = undefined;
    unavailable = 'PostgreSQL contestants off (--postgres off)';
    return unavailable;
  }
  base = url;
  try {
    const { rows } = await adminQuery<{ server_version: string }>('SHOW server_version');
    unavailable = undefined;
    console.log(`PostgreSQL ${rows[0]?.server_version ?? '?'} at ${describePostgres()}: scratch databases for the PostgreSQL contestants`);
  } catch (error) {
    unavailable = `PostgreSQL contestants skipped: ${describePostgres()} does not answer (${(error as Error).message}); set --postgres <url> or GATEHOUSE_BENCH_POSTGRES_URL`;
  }
  return unavailable;
}

export function postgresUnavailable(): string | undefined {
  return unavailable;
}

/** A new empty database (`gatehouse_bench_<hex>`) on the server. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  if (unavailable || !base) throw new Error(unavailable ?? 'no PostgreSQL server');
  const name = `gatehouse_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  created.add(name);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    name,
    drop: async () => {
      if (!created.delete(name)) return;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Drops every scratch database still there (after a failure; each drop is best effort). */
export async function dropAllScratchDatabases(): Promise<void> {
  for (const name of [...created]) {
    created.delete(name);
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => console.error(`could not drop ${name}: ${(error as Error).message}`));
  }
}

/** A database's size on disk in bytes (pg_database_size). */
export async function databaseBytes(name: string): Promise<number> {
  const { rows } = await adminQuery<{ size: string }>(`SELECT pg_database_size('${name}') AS size`);
  return Number(rows[0]!.size);
}
