import type { Kysely, Selectable } from 'kysely';
import { ConflictError, ValidationError } from '../../../core/errors.js';
import { isAuditAction, type AuditDetails, type AuditEvent, type AuditOutcome, type AuditPage, type AuditQuery } from '../../../core/storage.js';
import { isUniqueViolation } from '../errors.js';
import type { AuditEventsTable, Database } from '../schema.js';

function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  if (!isAuditAction(row.action)) throw new Error(`unknown audit action "${row.action}" in audit_events`);
  return {
    id: row.id,
    time: Number(row.time),
    actor: row.actor,
    tenant: row.tenant,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    details: JSON.parse(row.details) as AuditDetails,
  };
}

export async function appendAuditEvent(db: Kysely<Database>, event: AuditEvent): Promise<void> {
  try {
    await db
      .insertInto('audit_events')
      .values({ ...event, details: JSON.stringify(event.details) })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`an audit event with id "${event.id}" already exists`);
    throw error;
  }
}

/** The cursor: where the previous page ended (time and id of its last event), base64url JSON. */
function encodeCursor(event: AuditEvent): string {
  return Buffer.from(JSON.stringify([event.time, event.id])).toString('base64url');
}

function decodeCursor(cursor: string): { time: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { time: value[0] as number, id: value[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError('invalid audit cursor: pass the "next" value of the previous page unchanged');
}

/** Newest first by (time, id); one row more than the limit tells whether a next page exists. */
export async function listAuditEvents(db: Kysely<Database>, query: AuditQuery): Promise<AuditPage> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  let select = db.selectFrom('audit_events').selectAll();
  if (query.tenant !== undefined) select = select.where('tenant', '=', query.tenant);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.since !== undefined) select = select.where('time', '>=', query.since);
  if (after) {
    select = select.where((eb) => eb.or([eb('time', '<', after.time), eb.and([eb('time', '=', after.time), eb('id', '<', after.id)])]));
  }
  const rows = await select.orderBy('time', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const events = rows.slice(0, query.limit).map(toAuditEvent);
  const last = events.at(-1);
  return { events, next: rows.length > query.limit && last ? encodeCursor(last) : null };
}

export async function pruneAuditEvents(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db.deleteFrom('audit_events').where('time', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
