import { ValidationError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/**
 * Parses an operator-supplied duration ("3600", "3600s", "30m", "12h", "7d", "2w", "1y")
 * into whole seconds. Throws ValidationError with a message suitable for the CLI.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d{1,10})\s*([smhdwy]?)\s*$/i.exec(text);
  if (!match) {
    throw new ValidationError(
      `invalid duration "${text}": use a whole number followed by s, m, h, d, w or y (e.g. 3600s, 12h, 30d)`,
    );
  }
  const amount = Number(match[1]);
  const seconds = amount * (UNIT_SECONDS[(match[2] || 's').toLowerCase()] ?? 1);
  if (seconds <= 0) throw new ValidationError(`invalid duration "${text}": must be greater than zero`);
  if (seconds > 100 * UNIT_SECONDS.y!) throw new ValidationError(`invalid duration "${text}": longer than 100 years`);
  return seconds;
}

/** Formats seconds as the largest exact unit ("43200" → "12h"), for messages and docs. */
export function formatDuration(seconds: number): string {
  for (const unit of ['y', 'w', 'd', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
