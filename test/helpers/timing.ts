/**
 * Waiting in tests: a plain sleep, and bounded polling. Every wait here has a deadline
 * and names what it waits for, so a test that waits in vain fails saying why.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** How long to keep polling before failing (default 10 s). */
  timeoutMs?: number;
  /** The pause between two probes (default 50 ms). */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined, and resolves to that value.
 * A probe that throws is polled again; after `timeoutMs` the wait fails with the last error.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}

/** Polls `probe` every 10 ms until it returns true; resolves to the milliseconds that took. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  await waitFor(what, async () => ((await probe()) ? true : undefined), { timeoutMs, intervalMs: 10 });
  return Date.now() - started;
}
