/** The sign-in session service (core/sessions.ts) on a real SQLite store, with an injected clock. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { newCsrfNonce, SessionService } from '../../packages/server/src/core/sessions.js';
import { SQLITE_TARGET } from '../helpers/postgres.js';
import { openFreshStorage, type FreshStorage } from '../helpers/storage.js';

const MINUTE = 60_000;
let fresh: FreshStorage;
let now = 1_800_000_000_000;
let service: SessionService;

before(async () => {
  fresh = await openFreshStorage(SQLITE_TARGET, { prefix: 'session-service' });
  const config = loadConfig({ userSessionIdleTtl: 1800, userSessionMaxAge: 3600, adminSessionIdleTtl: 600, adminSessionMaxAge: 1200 });
  service = new SessionService({ sessions: fresh.storage.sessions, digestKey: randomBytes(32), csrfKey: randomBytes(32), config, clock: () => now });
});
after(() => fresh?.close());

describe('SessionService', () => {
  it('starts a session with the kind\'s lifetimes and resumes it by its token', async () => {
    const { token, session } = await service.start('user', 'u1');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.idleExpiresAt, now + 30 * MINUTE);
    assert.equal(session.absoluteExpiresAt, now + 60 * MINUTE);
    assert.deepEqual(await service.resume('user', token), session);
    const admin = await service.start('admin', 'a1');
    assert.equal(admin.session.idleExpiresAt, now + 10 * MINUTE);
  });

  it('a token of the other kind, a malformed or unknown token is no session', async () => {
    const { token } = await service.start('admin', 'a1');
    assert.equal(await service.resume('user', token), undefined);
    assert.ok(await service.resume('admin', token));
    for (const bad of [undefined, '', 'x', `${token}x`, randomBytes(32).toString('base64url')]) assert.equal(await service.resume('admin', bad), undefined);
  });

  it('a use extends the idle lifetime; the absolute lifetime ends it however it is used', async () => {
    const { token } = await service.start('user', 'u2');
    for (let i = 0; i < 3; i++) {
      now += 25 * MINUTE;
      if (i < 2) assert.ok(await service.resume('user', token), `used after ${(i + 1) * 25} minutes`);
      else assert.equal(await service.resume('user', token), undefined, 'past the absolute lifetime (60 min)');
    }
  });

  it('ends after the idle lifetime without use', async () => {
    const { token } = await service.start('user', 'u3');
    now += 30 * MINUTE;
    assert.equal(await service.resume('user', token), undefined);
  });

  it('end ends one session; endAll every session of the subject and kind, except one when asked', async () => {
    const a = await service.start('user', 'u4');
    const b = await service.start('user', 'u4');
    const c = await service.start('user', 'u4');
    assert.equal(await service.end(a.token), true);
    assert.equal(await service.resume('user', a.token), undefined);
    assert.equal(await service.end(a.token), false);
    assert.equal(await service.endAll('user', 'u4', { except: b.session.id }), 1);
    assert.ok(await service.resume('user', b.token));
    assert.equal(await service.resume('user', c.token), undefined);
  });

  it('derives a per-session CSRF token, checked in constant time, and a pre-session one bound to a nonce', async () => {
    const a = await service.start('user', 'u5');
    const b = await service.start('user', 'u5');
    const csrf = service.csrfToken(a.session);
    assert.equal(service.csrfToken(a.session), csrf, 'stable for the session');
    assert.notEqual(service.csrfToken(b.session), csrf);
    assert.equal(service.csrfTokenMatches(a.session, csrf), true);
    assert.equal(service.csrfTokenMatches(b.session, csrf), false);
    assert.equal(service.csrfTokenMatches(a.session, undefined), false);
    const nonce = newCsrfNonce();
    const pre = service.preSessionCsrfToken(nonce);
    assert.equal(service.preSessionCsrfTokenMatches(nonce, pre), true);
    assert.equal(service.preSessionCsrfTokenMatches(newCsrfNonce(), pre), false);
    assert.equal(service.preSessionCsrfTokenMatches(undefined, pre), false);
  });
});
