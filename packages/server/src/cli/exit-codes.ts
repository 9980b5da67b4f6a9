import { CommanderError } from 'commander';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../core/errors.js';

/** The exit statuses of `gatehouse`, documented in the README's CLI section. */
export const EXIT_CODES = {
  ok: 0,
  /** Invalid input (a ValidationError) or any other failure. */
  operatorError: 1,
  /** An unknown command or option, a missing argument (commander's errors). */
  usage: 2,
  /** The named tenant, client, user or key does not exist. */
  notFound: 3,
  /** The change would break a uniqueness rule or a key's state (e.g. a duplicate slug). */
  conflict: 4,
  /** The database could not be reached. */
  storageUnavailable: 5,
} as const;

/** The exit status a failure of a command ends the process with. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (error instanceof NotFoundError) return EXIT_CODES.notFound;
  if (error instanceof ConflictError) return EXIT_CODES.conflict;
  if (error instanceof StorageUnavailableError) return EXIT_CODES.storageUnavailable;
  if (error instanceof ValidationError) return EXIT_CODES.operatorError;
  return EXIT_CODES.operatorError;
}
