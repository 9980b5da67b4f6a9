import { ValidationError } from '../errors.js';

/**
 * Pages of the admin lists (admin API, dashboard): `{items, next}`, where `next` is the
 * opaque cursor of the following page, or null on the last one. A cursor names the last
 * item's sort key, so a page stays right when items are added or removed between calls
 * (an item is never shown twice; one added before the cursor is not shown).
 */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageRequest {
  /** 1 to MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** The page size asked for, checked (ValidationError naming `limit`). */
export function pageLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_PAGE_SIZE) throw new ValidationError(`invalid limit ${value}: use 1 to ${MAX_PAGE_SIZE}`, { field: 'limit' });
  return value;
}

const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const key = /^[A-Za-z0-9_-]{1,2000}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (key === '' || encodeCursor(key) !== cursor) throw new ValidationError('invalid cursor: pass the `next` of the previous page as it was given', { field: 'cursor' });
  return key;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of `all`, ordered by `key` (unique per item; code-point order, whatever the
 * database's collation), after the item the cursor names.
 */
export function paginate<T>(all: readonly T[], key: (item: T) => string, request: PageRequest = {}): Page<T> {
  const limit = pageLimit(request.limit);
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const sorted = [...all].sort((a, b) => byCodePoint(key(a), key(b)));
  const rest = after === undefined ? sorted : sorted.filter((item) => byCodePoint(key(item), after) > 0);
  const items = rest.slice(0, limit);
  return { items, next: rest.length > limit ? encodeCursor(key(items[items.length - 1]!)) : null };
}
