import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Bumps the revocation revision and returns the new value. Call inside the transaction
 * that writes the revocation: the counter row stays locked until it commits, so the
 * next writer gets the next revision only after this one is visible (revisions appear
 * in order; docs/resource-server.md).
 */
export async function bumpRevocationRevision(db: Kysely<Database>): Promise<number> {
  const row = await db
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'revocations')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

export async function currentRevocationRevision(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', 'revocations').executeTakeFirstOrThrow();
  return Number(row.value);
}
