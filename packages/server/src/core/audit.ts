/**
 * The audit log: every admin action (CLI, admin API, dashboard) and every security event
 * (refresh-token reuse, code replay, throttled authentication bursts), with its time,
 * actor, tenant, action, target and outcome. Each event goes to the database (listed by
 * `gatehouse audit list`, pruned after `auditRetention`) and, as one JSON object, to a
 * log sink (serve: the Fastify logger, message "audit"; the CLI: silent).
 *
 * Never a secret, token or password: an event has no free-form field (AuditDetails is a
 * closed set of named, non-secret facts), and every call site passes identifiers only.
 */
import { parseDuration } from './duration.js';
import { ValidationError } from './errors.js';
import { AUDIT_ACTIONS, isAuditAction, type AuditAction, type AuditDetails, type AuditEvent, type AuditOutcome, type AuditStore } from './storage.js';

/** What a caller records; the service adds the id and the time. */
export interface AuditInput {
  actor: string;
  tenant: string | null;
  action: AuditAction;
  target: string | null;
  outcome: AuditOutcome;
  details?: AuditDetails;
}

/** The one JSON object written to the log per event. The field names are fixed: a log pipeline relies on them. */
export interface AuditLogLine {
  /** ISO 8601. */
  time: string;
  actor: string;
  tenant: string | null;
  action: AuditAction;
  target: string | null;
  outcome: AuditOutcome;
  /** AuditDetails with snake_case names, as in the JSON resources. */
  details: Record<string, unknown>;
}

/**
 * Where each event is logged. `stored: false` (with the store's error) when the database
 * refused it: the log line is then the only record, and is logged at error level.
 */
export type AuditLogSink = (line: AuditLogLine, failure?: { error: unknown }) => void;

/** The narrow dependency of whatever records events (admin services, grants, client and user authentication). */
export interface AuditRecorder {
  /** Stores and logs the event. Never throws: see AuditService.record. */
  record(input: AuditInput): Promise<void>;
}

export interface AuditListFilter {
  tenant?: string;
  action?: string;
  actor?: string;
  /** Epoch ms. */
  since?: number;
  /** 1-1000 (default 50). */
  limit?: number;
  cursor?: string;
}

export interface AuditServiceDeps {
  store: AuditStore;
  sink: AuditLogSink;
  clock?: () => number;
}

export const MAX_AUDIT_PAGE = 1000;
const DEFAULT_AUDIT_PAGE = 50;

/** A sink that logs nothing (the CLI: the event is in the database). */
export const silentAuditSink: AuditLogSink = () => {};

export class AuditService implements AuditRecorder {
  private readonly clock: () => number;

  constructor(private readonly deps: AuditServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Records an event: the database first, then one log line.
   *
   * The action an event describes and the event itself are separate writes, and the
   * event is written after the action, when its outcome (and, for a create, its target)
   * is known: recording first would log actions that then failed or never happened. If
   * the database refuses the event, the action has already been done and cannot be
   * undone; failing the command would report an error for a change that was made (an
   * operator retrying would create a second client with a second secret). So the event
   * is not dropped and not hidden: it is written to the log sink at error level with the
   * store's error (serve: the log pipeline gets it; the CLI: a warning on stderr with the
   * event), and the caller still gets its answer. A security reviewer's requirement, that
   * no admin action or security event goes unrecorded without anyone being told, holds.
   */
  async record(input: AuditInput): Promise<void> {
    const now = this.clock();
    const event: AuditEvent = {
      id: newAuditEventId(now),
      time: now,
      actor: input.actor,
      tenant: input.tenant,
      action: input.action,
      target: input.target,
      outcome: input.outcome,
      details: input.details ?? {},
    };
    try {
      await this.deps.store.appendAuditEvent(event);
    } catch (error) {
      this.deps.sink(toAuditLogLine(event), { error });
      return;
    }
    this.deps.sink(toAuditLogLine(event));
  }

  /** Events matching every given filter, newest first, a page at a time. ValidationError for a bad filter. */
  list(filter: AuditListFilter = {}): Promise<{ events: AuditEvent[]; next: string | null }> {
    const limit = filter.limit ?? DEFAULT_AUDIT_PAGE;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) throw new ValidationError(`invalid limit ${limit}: use 1 to ${MAX_AUDIT_PAGE}`);
    if (filter.action !== undefined && !isAuditAction(filter.action)) {
      throw new ValidationError(`unknown audit action "${filter.action}": use one of ${AUDIT_ACTIONS.join(', ')}`, { field: 'action' });
    }
    return this.deps.store.listAuditEvents({ ...filter, limit });
  }

  /** Deletes the events older than `retentionSeconds` before `now` (epoch ms); returns how many. */
  prune(now: number, retentionSeconds: number): Promise<number> {
    return this.deps.store.pruneAuditEvents(now - retentionSeconds * 1000);
  }
}


/** The log line of an event. */
export function toAuditLogLine(event: AuditEvent): AuditLogLine {
  return {
    time: new Date(event.time).toISOString(),
    actor: event.actor,
    tenant: event.tenant,
    action: event.action,
    target: event.target,
    outcome: event.outcome,
    details: snakeCaseDetails(event.details),
  };
}

/** AuditDetails with snake_case names (the JSON resources' and log lines' convention). */
export function snakeCaseDetails(details: AuditDetails): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

let sequence = 0;
const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');

/**
 * An event id that sorts by time, then by order of recording within this process (the
 * store lists by time, then id): 12 hex digits of time, 6 of a sequence, 8 random.
 */
function newAuditEventId(now: number): string {
  sequence = (sequence + 1) % 0x1000000;
  return `${hex(now, 12)}${hex(sequence, 6)}${hex(Math.floor(Math.random() * 0x100000000), 8)}`;
}

/**
 * The `--since` of `gatehouse audit list`: a duration back from `now` ("24h", "7d") or
 * an ISO 8601 time. Returns epoch ms.
 */
export function parseSince(text: string, now: number): number {
  if (/^\s*\d+\s*[smhdwy]?\s*$/i.test(text)) return now - parseDuration(text) * 1000;
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(time)) throw new ValidationError(`invalid --since "${text}": use a duration back from now (e.g. 24h, 7d) or an ISO 8601 time (e.g. 2026-12-01T00:00:00Z)`);
  return time;
}
