import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../../core/errors.js';

/**
 * Wraps each async method so that a driver failure surfaces as StorageUnavailableError
 * (503 for clients) while the domain errors (conflict, not found, validation) pass through.
 */
export function guarded<T extends object>(target: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof ValidationError) throw error;
              throw new StorageUnavailableError(error);
            }
          }
        : value;
  }
  return wrapped as T;
}
