import type { AuditRecorder } from '../audit.js';
import type { AuditAction, AuditDetails } from '../storage.js';

/** Who performs the admin actions of one set of services, and where they are recorded. */
export interface AdminAudit {
  recorder: AuditRecorder;
  /** An operator username, a tenant admin, an admin client id, `cli` or `system`. */
  actor: string;
}

/** Where an action is aimed before it runs (what a failure event records). */
export interface AuditAim {
  tenant: string | null;
  target: string | null;
  /** What a failure event records besides the error's kind (e.g. that a resource server was asked for). */
  details?: AuditDetails;
}

/** What a successful action's event records, from its result (the aim's fields when left out). */
export interface AuditOutcomeFacts {
  tenant?: string | null;
  target?: string | null;
  details?: AuditDetails;
}

/**
 * Runs one admin action and records it (core/audit.ts says why after, and what happens
 * when the record cannot be stored): `success` with the facts `describe` draws from the
 * result, or `failure` with the error's kind (never its message: it may quote input).
 * The action's own error is rethrown unchanged.
 */
export async function audited<T>(
  audit: AdminAudit,
  action: AuditAction,
  aim: AuditAim,
  run: () => Promise<T>,
  describe: (result: T) => AuditOutcomeFacts = () => ({}),
): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const { details, ...where } = aim;
    await audit.recorder.record({ actor: audit.actor, action, ...where, outcome: 'failure', details: { ...details, error: error instanceof Error ? error.name : 'Error' } });
    throw error;
  }
  const facts = describe(result);
  await audit.recorder.record({
    actor: audit.actor,
    action,
    tenant: facts.tenant === undefined ? aim.tenant : facts.tenant,
    target: facts.target === undefined ? aim.target : facts.target,
    outcome: 'success',
    details: facts.details ?? {},
  });
  return result;
}
