// The query plans of the hot-path statements of client_credentials and refresh_token, on a
// seeded database (bench/servers/scale-seed.ts runs it after seeding): the statements are
// the store's own, captured by running its repository functions on a Kysely handle that
// logs them (the rotation inside a transaction that is rolled back), then EXPLAINed with
// their parameters (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl } from '../../packages/server/src/store/sql/connection.js';
import * as clients from '../../packages/server/src/store/sql/repositories/clients.js';
import { findGrant } from '../../packages/server/src/store/sql/repositories/grant-rows.js';
import * as refreshTokens from '../../packages/server/src/store/sql/repositories/refresh-tokens.js';
import * as users from '../../packages/server/src/store/sql/repositories/users.js';
import type { Database } from '../../packages/server/src/store/sql/schema.js';

export interface StatementPlan {
  /** The repository call that runs it, on which path. */
  step: string;
  sql: string;
  plan: string[];
  /** The tables read by a full scan (SQLite `SCAN <t>`, PostgreSQL `Seq Scan on <t>`): none on a hot path. */
  scans: string[];
}

export interface HotPathIds {
  clientId: string;
  grantsClientId: string;
  userId: string;
  refresh: { grantId: string; tokenDigest: string };
}

class RolledBack extends Error {}

/** Each step's statements, in the order the server runs them. */
async function capture(db: Kysely<Database>, log: CompiledQuery[], ids: HotPathIds): Promise<{ step: string; query: CompiledQuery }[]> {
  const steps: { step: string; query: CompiledQuery }[] = [];
  const run = async (step: string, call: () => Promise<unknown>) => {
    log.length = 0;
    await call();
    // Transaction control (begin, commit, rollback) has no plan.
    for (const query of log) if (!/^(begin|commit|rollback)\b/i.test(query.sql)) steps.push({ step, query });
  };
  const now = Date.now();
  await run('client_credentials, refresh: the client (findClient; SQLite serves it from its exact cache)', () => clients.findClient(db, ids.clientId));
  await run('refresh: the presented token (findRefreshToken)', () => refreshTokens.findRefreshToken(db, ids.refresh.tokenDigest));
  await run('refresh: its grant (findGrant)', () => findGrant(db, ids.refresh.grantId));
  await run('refresh: the user still enabled (findUser)', () => users.findUser(db, ids.userId));
  await run('refresh: the rotation (rotateRefreshToken, one transaction)', async () => {
    try {
      await db.transaction().execute(async (trx) => {
        const outcome = await refreshTokens.rotateRefreshToken(trx, {
          presentedDigest: ids.refresh.tokenDigest,
          clientId: ids.grantsClientId,
          newToken: { id: crypto.randomUUID(), tokenDigest: `plan-${crypto.randomUUID()}`, idleExpiresAt: now + 60_000 },
          now,
          graceSeconds: 0,
        });
        if (outcome.status !== 'rotated') throw new Error(`the sample refresh token was not rotated (${outcome.status})`);
        throw new RolledBack();
      });
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error;
    }
  });
  return steps;
}

const scansOf = (plan: string[], pattern: RegExp) => plan.flatMap((line) => [...line.matchAll(pattern)].map((m) => m[1]!));

export async function explainHotStatements(databaseUrl: string, ids: HotPathIds): Promise<StatementPlan[]> {
  const parsed = parseDatabaseUrl(databaseUrl);
  const log: CompiledQuery[] = [];
  const logger = { log: (event: { level: string; query: CompiledQuery }) => void (event.level === 'query' && log.push(event.query)) };
  if (parsed.dialect === 'sqlite') {
    const database = new BetterSqlite3(parsed.path);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), log: logger.log });
    try {
      const steps = await capture(db, log, ids);
      return steps.map(({ step, query }) => {
        const rows = database.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.parameters as unknown[])) as { detail: string }[];
        const plan = rows.map((row) => row.detail);
        // `SCAN CONSTANT ROW` reads no table.
        return { step, sql: query.sql, plan, scans: scansOf(plan, /^SCAN (?!CONSTANT ROW)(\w+)/g) };
      });
    } finally {
      await db.destroy();
    }
  }
  const pool = new pg.Pool({ connectionString: parsed.connectionString, max: 2 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: logger.log });
  try {
    const steps = await capture(db, log, ids);
    const plans: StatementPlan[] = [];
    for (const { step, query } of steps) {
      const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query.sql}`, query.parameters as unknown[]);
      const plan = rows.map((row) => row['QUERY PLAN']);
      plans.push({ step, sql: query.sql, plan, scans: scansOf(plan, /Seq Scan on (\w+)/g) });
    }
    return plans;
  } finally {
    await db.destroy();
  }
}
