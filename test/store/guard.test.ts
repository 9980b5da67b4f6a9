/**
 * The storage guard (store/sql/guard.ts): driver failures become StorageUnavailableError,
 * domain errors pass through, and a method that failed on a busy SQLite lock is run again
 * on timers until its deadline (issue 16: the event loop never waits on a lock).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import { guarded } from '../../packages/server/src/store/sql/guard.js';

const busy = (code = 'SQLITE_BUSY') => Object.assign(new Error('database is locked'), { code });
const QUICK = { deadlineMs: 50, firstDelayMs: 1, maxDelayMs: 5 };
/** A deadline no slow machine reaches: the method succeeds on its third attempt. */
const PATIENT = { deadlineMs: 600_000, firstDelayMs: 1, maxDelayMs: 5 };

describe('guarded storage methods', () => {
  it('runs a method that failed on a busy lock again, whole, and returns its later result', async () => {
    let attempts = 0;
    const store = guarded({ write: async (value: string) => (++attempts < 3 ? Promise.reject(busy(attempts === 1 ? 'SQLITE_BUSY' : 'SQLITE_BUSY_SNAPSHOT')) : value) }, PATIENT);
    assert.equal(await store.write('done'), 'done');
    assert.equal(attempts, 3);
  });

  it('gives up after the deadline with StorageUnavailableError (503 + Retry-After), the busy error as its cause', async () => {
    let attempts = 0;
    const store = guarded({ write: async () => Promise.reject((attempts++, busy())) }, QUICK);
    const error = await store.write().then(() => assert.fail('resolved'), (caught: unknown) => caught);
    assert.ok(error instanceof StorageUnavailableError);
    assert.equal((error.cause as { code: string }).code, 'SQLITE_BUSY');
    assert.ok(attempts > 1, 'it was retried');
  });

  it('never retries a domain error or another driver error', async () => {
    let attempts = 0;
    const store = guarded(
      {
        conflict: async () => (attempts++, Promise.reject(new ConflictError('taken'))),
        broken: async () => (attempts++, Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }))),
      },
      QUICK,
    );
    await assert.rejects(store.conflict(), ConflictError);
    await assert.rejects(store.broken(), StorageUnavailableError);
    assert.equal(attempts, 2);
  });
});
