import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../../core/errors.js';

/** How a guarded method waits for a SQLite lock held by another connection (another process: the CLI, a backup). */
export interface LockWait {
  /** How long, in all, a method keeps retrying before it gives up (→ StorageUnavailableError, 503 + Retry-After). */
  deadlineMs: number;
  /** The first pause between attempts; it doubles up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * better-sqlite3 is synchronous: while it waits out `busy_timeout` the event loop stands
 * still and every request of the process waits with it (ARCHITECTURE.md: the event loop
 * never waits on a database lock). So the connection's busy timeout is a few
 * milliseconds (connection.ts) and the wait happens here, between attempts, on timers.
 */
export const DEFAULT_LOCK_WAIT: LockWait = { deadlineMs: 2500, firstDelayMs: 5, maxDelayMs: 100 };

/**
 * SQLite's answer when another connection holds the lock a statement needs: SQLITE_BUSY
 * and its extended codes (SQLITE_BUSY_SNAPSHOT: a deferred transaction read a snapshot
 * that a writer has since moved past; the transaction must start again).
 */
export function isLockBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Wraps each async method so that a driver failure surfaces as StorageUnavailableError
 * (503 for clients) while the domain errors (conflict, not found, validation) pass through.
 *
 * A method that fails because a SQLite lock is busy is run again, whole, after a pause
 * on a timer (never a synchronous wait), until `lockWait.deadlineMs` has passed. That is
 * safe because every method is one statement or one transaction (plus reads): a busy
 * statement changed nothing, and a transaction that failed was rolled back whole (Kysely
 * rolls back on the error; a BEGIN that is retried starts a fresh transaction). Reads do
 * not wait on writers (WAL). `onFailure` is told of each failure that becomes
 * StorageUnavailableError (the server counts them: server/metrics.ts).
 */
export function guarded<T extends object>(target: T, lockWait: LockWait = DEFAULT_LOCK_WAIT, onFailure?: (error: unknown) => void): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            const deadline = Date.now() + lockWait.deadlineMs;
            for (let delay = lockWait.firstDelayMs; ; delay = Math.min(delay * 2, lockWait.maxDelayMs)) {
              try {
                return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
              } catch (error) {
                if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof ValidationError) throw error;
                const remaining = deadline - Date.now();
                if (!isLockBusy(error) || remaining <= 0) {
                  onFailure?.(error);
                  throw new StorageUnavailableError(error);
                }
                // Jitter, so that the waiting callers of a process do not retry in step.
                await sleep(Math.min(remaining, Math.ceil(delay * (0.5 + Math.random() / 2))));
              }
            }
          }
        : value;
  }
  return wrapped as T;
}
