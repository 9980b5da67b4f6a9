// See ./index.ts for the rules every store follows.
/**
 * Short-lived counters for throttling failed authentication. Fixed windows: the first
 * hit of a key opens a window of `windowMs`; hits after it closes start a new one.
 */
export interface ThrottleStore {
  /** Counts one failure for `key`; returns the count and when the window closes. */
  hit(key: string, windowMs: number, now: number): Promise<ThrottleState>;
  /** The current count for `key` without counting (0 when no window is open). */
  peek(key: string, now: number): Promise<ThrottleState>;
}

export interface ThrottleState {
  count: number;
  resetAt: number;
}
