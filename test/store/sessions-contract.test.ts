/**
 * The SessionStore contract (src/core/storage/sessions.ts), against every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConflictError } from '../../packages/server/src/core/errors.js';
import { SESSION_TOUCH_INTERVAL_MS, type NewSession } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, type FreshStorage } from '../helpers/storage.js';

const T0 = 1_800_000_000_000;
const MINUTE = 60_000;

function newSession(input: Partial<NewSession> = {}): NewSession {
  return { id: randomUUID(), tokenDigest: randomDigest(), kind: 'user', subjectId: 'user-1', createdAt: T0, idleExpiresAt: T0 + 30 * MINUTE, absoluteExpiresAt: T0 + 480 * MINUTE, ...input };
}

for (const target of STORAGE_TARGETS) {
  describe(`session store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'sessions' });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    it('creates a session (last seen at its creation) and finds it by digest while it is live', async () => {
      const input = newSession();
      const created = await storage.sessions.createSession(input);
      assert.deepEqual(created, { id: input.id, kind: 'user', subjectId: 'user-1', createdAt: T0, lastSeenAt: T0, idleExpiresAt: input.idleExpiresAt, absoluteExpiresAt: input.absoluteExpiresAt });
      assert.deepEqual(await storage.sessions.findSession(input.tokenDigest, T0 + MINUTE), created);
      assert.equal(await storage.sessions.findSession(randomDigest(), T0), undefined);
    });

    it('refuses a second session with the same id or digest (ConflictError)', async () => {
      const input = newSession();
      await storage.sessions.createSession(input);
      await assert.rejects(storage.sessions.createSession(newSession({ id: input.id })), ConflictError);
      await assert.rejects(storage.sessions.createSession(newSession({ tokenDigest: input.tokenDigest })), ConflictError);
    });

    it('find ignores a session past its idle expiry, and one past its absolute expiry', async () => {
      const idle = newSession({ idleExpiresAt: T0 + 10 * MINUTE });
      await storage.sessions.createSession(idle);
      assert.ok(await storage.sessions.findSession(idle.tokenDigest, T0 + 10 * MINUTE - 1));
      assert.equal(await storage.sessions.findSession(idle.tokenDigest, T0 + 10 * MINUTE), undefined);
      const absolute = newSession({ idleExpiresAt: T0 + 60 * MINUTE, absoluteExpiresAt: T0 + 20 * MINUTE });
      await storage.sessions.createSession(absolute);
      assert.equal((await storage.sessions.findSession(absolute.tokenDigest, T0))?.idleExpiresAt, T0 + 20 * MINUTE, 'the idle expiry never passes the absolute one');
      assert.equal(await storage.sessions.findSession(absolute.tokenDigest, T0 + 20 * MINUTE), undefined);
    });

    it('touch extends the idle expiry, writing at most once a minute, never past the absolute expiry', async () => {
      const input = newSession({ idleExpiresAt: T0 + 30 * MINUTE, absoluteExpiresAt: T0 + 45 * MINUTE });
      await storage.sessions.createSession(input);
      assert.equal(await storage.sessions.touchSession(input.id, T0 + SESSION_TOUCH_INTERVAL_MS - 1, 30 * MINUTE), false, 'within a minute of the last write: nothing written');
      assert.equal((await storage.sessions.findSession(input.tokenDigest, T0))?.lastSeenAt, T0);
      assert.equal(await storage.sessions.touchSession(input.id, T0 + 5 * MINUTE, 30 * MINUTE), true);
      let found = await storage.sessions.findSession(input.tokenDigest, T0 + 5 * MINUTE);
      assert.equal(found?.lastSeenAt, T0 + 5 * MINUTE);
      assert.equal(found?.idleExpiresAt, T0 + 35 * MINUTE);
      assert.equal(await storage.sessions.touchSession(input.id, T0 + 20 * MINUTE, 30 * MINUTE), true);
      found = await storage.sessions.findSession(input.tokenDigest, T0 + 20 * MINUTE);
      assert.equal(found?.idleExpiresAt, T0 + 45 * MINUTE, 'capped at the absolute expiry');
      assert.equal(await storage.sessions.touchSession(input.id, T0 + 46 * MINUTE, 30 * MINUTE), false, 'an expired session is not revived');
      assert.equal(await storage.sessions.findSession(input.tokenDigest, T0 + 46 * MINUTE), undefined);
    });

    it('touch does not revive a session past its idle expiry', async () => {
      const input = newSession({ idleExpiresAt: T0 + 10 * MINUTE });
      await storage.sessions.createSession(input);
      assert.equal(await storage.sessions.touchSession(input.id, T0 + 11 * MINUTE, 30 * MINUTE), false);
      assert.equal(await storage.sessions.findSession(input.tokenDigest, T0 + 11 * MINUTE), undefined);
    });

    it('endSession ends one session (true), then finds none to end (false)', async () => {
      const input = newSession();
      await storage.sessions.createSession(input);
      assert.equal(await storage.sessions.endSession(input.id), true);
      assert.equal(await storage.sessions.findSession(input.tokenDigest, T0), undefined);
      assert.equal(await storage.sessions.endSession(input.id), false);
    });

    it('endSessionsOf ends the subject\'s sessions of that kind only, optionally keeping one', async () => {
      const subjectId = randomUUID();
      const a = newSession({ subjectId });
      const b = newSession({ subjectId });
      const c = newSession({ subjectId });
      const admin = newSession({ subjectId, kind: 'admin' });
      const other = newSession({ subjectId: randomUUID() });
      for (const each of [a, b, c, admin, other]) await storage.sessions.createSession(each);
      assert.equal(await storage.sessions.endSessionsOf('user', subjectId, a.id), 2);
      assert.ok(await storage.sessions.findSession(a.tokenDigest, T0), 'the one kept');
      assert.equal(await storage.sessions.findSession(b.tokenDigest, T0), undefined);
      assert.ok(await storage.sessions.findSession(admin.tokenDigest, T0), 'another kind is untouched');
      assert.ok(await storage.sessions.findSession(other.tokenDigest, T0), 'another subject is untouched');
      assert.equal(await storage.sessions.endSessionsOf('user', subjectId), 1);
      assert.equal(await storage.sessions.findSession(a.tokenDigest, T0), undefined);
      assert.equal(await storage.sessions.endSessionsOf('admin', subjectId), 1);
    });

    it('a session ended through one storage is refused through another (another process)', async () => {
      const second = fresh.openAnother();
      const input = newSession();
      await storage.sessions.createSession(input);
      assert.ok(await second.sessions.findSession(input.tokenDigest, T0));
      await storage.sessions.endSession(input.id);
      assert.equal(await second.sessions.findSession(input.tokenDigest, T0), undefined);
    });

    it('pruneExpired deletes the expired sessions only', async () => {
      const far = T0 + 10_000 * MINUTE;
      const live = newSession({ createdAt: far, idleExpiresAt: far + 30 * MINUTE, absoluteExpiresAt: far + 60 * MINUTE });
      await storage.sessions.createSession(live);
      const pruned = await storage.sessions.pruneExpired(far);
      assert.ok(pruned >= 1);
      assert.ok(await storage.sessions.findSession(live.tokenDigest, far));
      assert.equal(await storage.sessions.pruneExpired(far), 0);
    });
  });
}
