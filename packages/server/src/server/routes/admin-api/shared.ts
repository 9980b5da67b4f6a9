import type { FastifyRequest } from 'fastify';
import type { ScopedAdmin } from '../../../core/admin/scoped.js';
import { parseDuration } from '../../../core/duration.js';
import { ValidationError } from '../../../core/errors.js';

/** What each route module gets: the caller's admin operations, and the durations helper. */
export interface AdminRouteContext {
  /** The admin operations as the authenticated caller may perform them. */
  adminOf(request: FastifyRequest): ScopedAdmin;
}

/** A duration field (seconds, or a duration string as the CLI takes) in seconds; ValidationError naming the field. */
export function seconds(value: number | string, field: string, options?: { zero?: boolean }): number;
export function seconds(value: number | string | undefined, field: string, options?: { zero?: boolean }): number | undefined;
export function seconds(value: number | string | null | undefined, field: string, options?: { zero?: boolean }): number | null | undefined;
/** `zero`: a grace period, which may be 0 ("0", "0s"). */
export function seconds(value: number | string | null | undefined, field: string, options: { zero?: boolean } = {}): number | null | undefined {
  if (typeof value !== 'string') return value;
  try {
    return options.zero && /^\s*0+\s*[smhdwy]?\s*$/i.test(value) ? 0 : parseDuration(value);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`${field}: ${error.message}`, { field });
    throw error;
  }
}


declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a route reads that is not JSON, as its 415 problem names it (the logo: tenants.ts). */
    mediaTypes?: string;
  }
}
