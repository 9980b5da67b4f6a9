import type { ThrottleState, ThrottleStore } from '../../core/storage.js';

/**
 * Per-process throttle counters. Bounded: past `maxKeys` open windows the oldest are
 * dropped, so a flood of distinct addresses or client ids cannot exhaust memory.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly windows = new Map<string, ThrottleState>();

  constructor(private readonly maxKeys = 100_000) {}

  async hit(key: string, windowMs: number, now: number): Promise<ThrottleState> {
    const current = this.windows.get(key);
    if (current && current.resetAt > now) {
      current.count += 1;
      return { ...current };
    }
    this.windows.delete(key);
    const opened = { count: 1, resetAt: now + windowMs };
    this.windows.set(key, opened);
    this.evict(now);
    return { ...opened };
  }

  async peek(key: string, now: number): Promise<ThrottleState> {
    const current = this.windows.get(key);
    if (!current) return { count: 0, resetAt: now };
    if (current.resetAt <= now) {
      this.windows.delete(key);
      return { count: 0, resetAt: now };
    }
    return { ...current };
  }

  private evict(now: number): void {
    if (this.windows.size <= this.maxKeys) return;
    // Map iteration is insertion order: the oldest windows come first.
    for (const [key, state] of this.windows) {
      if (this.windows.size <= this.maxKeys && state.resetAt > now) break;
      this.windows.delete(key);
    }
  }
}
