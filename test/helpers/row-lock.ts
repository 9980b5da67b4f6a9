import { sql } from 'kysely';
import pg from 'pg';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { waitFor } from './timing.js';

/**
 * PostgreSQL only: a second session runs `lockStatement` (e.g. `select … for update`) in an
 * open transaction, so the storage calls started by `start` block on that row lock; then
 * the lock is released and the calls are awaited, their results returned in order.
 * `waitUntilBlocked(n)` waits until n sessions of the database wait on a lock: the calls
 * really are concurrent, all past their reads and queued on the row, when it is released.
 */
export async function withRowLock<T>(
  url: string,
  lockStatement: string,
  start: (waitUntilBlocked: (count: number) => Promise<void>) => Promise<Promise<T>[]>,
): Promise<T[]> {
  const locker = new pg.Client({ connectionString: url });
  const monitor = new pg.Client({ connectionString: url });
  await locker.connect();
  await monitor.connect();
  let calls: Promise<T>[] = [];
  try {
    await locker.query('begin');
    const locked = await locker.query(lockStatement);
    if (locked.rowCount === 0) throw new Error(`the lock statement locked no row: ${lockStatement}`);
    const waitUntilBlocked = async (count: number) => {
      await waitFor(
        `${count} sessions blocked on the row lock`,
        async () => {
          const { rows } = await monitor.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          return (rows[0]?.n ?? 0) >= count ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 10 },
      );
    };
    calls = await start(waitUntilBlocked);
  } finally {
    await locker.query('commit').catch(() => {});
    await locker.end();
    await monitor.end();
  }
  return Promise.all(calls);
}

/** Makes every update of the grant `id` fail inside the database (a trigger): a write that fails part-way. */
export async function installFailingGrantUpdate(storage: SqlStorage, id: string): Promise<void> {
  if (storage.dialect === 'sqlite') {
    await sql.raw(`create trigger test_fail_grant before update on grants when new.id = '${id}' begin select raise(abort, 'simulated failure'); end`).execute(storage.db);
    return;
  }
  await sql
    .raw(`create function test_fail_grant() returns trigger language plpgsql as $$ begin if new.id = '${id}' then raise exception 'simulated failure'; end if; return new; end $$`)
    .execute(storage.db);
  await sql.raw('create trigger test_fail_grant before update on grants for each row execute function test_fail_grant()').execute(storage.db);
}

export async function removeFailingGrantUpdate(storage: SqlStorage): Promise<void> {
  await sql.raw('drop trigger test_fail_grant' + (storage.dialect === 'postgres' ? ' on grants' : '')).execute(storage.db);
  if (storage.dialect === 'postgres') await sql.raw('drop function test_fail_grant()').execute(storage.db);
}
