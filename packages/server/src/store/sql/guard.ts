import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../../core/errors.js';

/**
 * Wraps each async method so that a driver failure surfaces as StorageUnavailableError
 * (503 for clients) while the domain errors (conflict, not found, validation) pass through.
 * `onFailure` is told of each such failure (the server counts them: server/metrics.ts).
 */
export function guarded<T extends object>(target: T, onFailure?: (error: unknown) => void): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof ValidationError) throw error;
              onFailure?.(error);
              throw new StorageUnavailableError(error);
            }
          }
        : value;
  }
  return wrapped as T;
}

/** `guarded` with every failure reported to `onFailure`. */
export function guardedWith(onFailure: ((error: unknown) => void) | undefined): <T extends object>(target: T) => T {
  return (target) => guarded(target, onFailure);
}
