import assert from 'node:assert/strict';

/** Asserts that `promise` rejects with an instance of `type`, and names what it got otherwise. */
export const rejectsWith = (promise: Promise<unknown>, type: new (...args: never[]) => Error) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
    return true;
  });

/** How many outcomes have each status: `{ consumed: 1, replayed: 19 }`. */
export const countStatuses = (outcomes: { status: string }[]) =>
  outcomes.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome.status]: (counts[outcome.status] ?? 0) + 1 }), {});
