import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '../../../core/errors.js';
import { SESSION_TOUCH_INTERVAL_MS, type NewSession, type SessionKind, type SignInSession } from '../../../core/storage.js';
import { isUniqueViolation } from '../errors.js';
import type { Database, SessionsTable } from '../schema.js';

function toSession(row: Selectable<SessionsTable>): SignInSession {
  return {
    id: row.id,
    kind: row.kind as SessionKind,
    subjectId: row.subject_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    idleExpiresAt: Number(row.idle_expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
  };
}

export async function createSession(db: Kysely<Database>, input: NewSession): Promise<SignInSession> {
  const row: Selectable<SessionsTable> = {
    id: input.id,
    token_digest: input.tokenDigest,
    kind: input.kind,
    subject_id: input.subjectId,
    created_at: input.createdAt,
    last_seen_at: input.createdAt,
    idle_expires_at: Math.min(input.idleExpiresAt, input.absoluteExpiresAt),
    absolute_expires_at: input.absoluteExpiresAt,
  };
  try {
    await db.insertInto('sessions').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('a session with this id or token digest already exists');
    throw error;
  }
  return toSession(row);
}

export async function findSession(db: Kysely<Database>, tokenDigest: string, now: number): Promise<SignInSession | undefined> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('token_digest', '=', tokenDigest)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .executeTakeFirst();
  return row && toSession(row);
}

/** One conditional write: live, and last written at least SESSION_TOUCH_INTERVAL_MS ago. */
export async function touchSession(db: Kysely<Database>, id: string, now: number, idleMs: number): Promise<boolean> {
  const idle = now + idleMs;
  const result = await db
    .updateTable('sessions')
    .set((eb) => ({
      last_seen_at: now,
      // Never past the absolute expiry (a CASE works alike on SQLite and PostgreSQL). eb.val: a
      // parameter, not a literal in the SQL text (one statement, prepared once).
      idle_expires_at: eb.case().when('absolute_expires_at', '<', idle).then(eb.ref('absolute_expires_at')).else(eb.val(idle)).end(),
    }))
    .where('id', '=', id)
    .where('last_seen_at', '<=', now - SESSION_TOUCH_INTERVAL_MS)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function endSession(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function endSessionsOf(db: Kysely<Database>, kind: SessionKind, subjectId: string, exceptId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('kind', '=', kind).where('subject_id', '=', subjectId);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function pruneExpiredSessions(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('idle_expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
