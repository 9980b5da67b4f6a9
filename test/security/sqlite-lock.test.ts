/**
 * Issue 16 (Medium): a SQLite write lock held by another connection (a long CLI command, a
 * backup) must not freeze the server. better-sqlite3 waits out busy_timeout synchronously,
 * so the wait for the lock happens on timers (store/sql/guard.ts): while a write waits,
 * /healthz and the JWKS answer; the write gets 503 `temporarily_unavailable` with
 * Retry-After when the lock stays held past its deadline, or succeeds when the lock is
 * released in time; nothing half-written survives. The lock holder is a second
 * better-sqlite3 connection on the server's file. The assertions are about order (what
 * answered while the write was still waiting), never about durations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { createClient, createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

/** A Gatehouse on SQLite, a user-delegated client, and a second connection on its file to hold the write lock. */
interface Fixture {
  t: TestGatehouse;
  authorize(): Promise<TokenPair>;
  /** Takes SQLite's write lock on the file as another process would: BEGIN IMMEDIATE and a write, not committed. */
  holdWriteLock(): void;
  releaseWriteLock(): void;
  /** Starts a refresh (a write) and resolves once it has reached the storage (`pending`: its answer, recorded in `settled`). */
  startRefresh(refreshToken: string, settled: string[]): Promise<{ pending: Promise<LightMyRequestResponse> }>;
  refresh(refreshToken: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

async function openFixture(lockWaitMs?: number): Promise<Fixture> {
  const t = await createTestGatehouse(lockWaitMs === undefined ? {} : { lockWaitMs });
  const client = await createClient(t.gatehouse, { name: 'Signing app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
  const userId = (await t.gatehouse.admin.users.create({ tenant: client.tenant, username: 'alice', password: 'correct horse battery' })).id;
  const holder = new BetterSqlite3(t.config.databaseUrl.slice('sqlite:'.length));
  // A spy, not a stub: it only tells the test that the rotation (a write) has begun.
  const store = t.gatehouse.storage.refreshTokens;
  const rotate = store.rotateRefreshToken.bind(store);
  let signal: (() => void) | undefined;
  store.rotateRefreshToken = (rotation) => {
    signal?.();
    return rotate(rotation);
  };
  const releaseWriteLock = () => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
  };
  return {
    t,
    async authorize() {
      const { code, verifier } = await issueCode(t.gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
      const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as TokenPair;
    },
    holdWriteLock() {
      holder.exec('BEGIN IMMEDIATE');
      holder.prepare("UPDATE counters SET value = value WHERE name = 'revocations'").run();
    },
    releaseWriteLock,
    async startRefresh(refreshToken, settled) {
      const started = new Promise<void>((resolve) => (signal = resolve));
      const pending = refresh(t.app, client, refreshToken).then((response) => {
        settled.push('refresh');
        return response;
      });
      await started;
      return { pending };
    },
    refresh: (refreshToken) => refresh(t.app, client, refreshToken),
    async close() {
      releaseWriteLock();
      holder.close();
      await t.close();
    },
  };
}

/** /healthz and the JWKS, each recorded in `settled` when it answers. */
async function liveness(t: TestGatehouse, settled: string[]): Promise<void> {
  const health = await t.app.inject({ method: 'GET', url: '/healthz' });
  settled.push(`healthz ${health.statusCode}`);
  const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  settled.push(`jwks ${jwks.statusCode}`);
}

describe('a SQLite write lock held elsewhere never freezes the server (issue 16)', () => {
  describe('the server as configured (a write waits 2.5 s at most)', () => {
    let f: Fixture;
    before(async () => {
      f = await openFixture();
    });
    after(() => f.close());

    it('while the lock is held, /healthz and the JWKS answer; the refresh then gets 503 with Retry-After and consumed nothing', async () => {
      const issued = await f.authorize();
      const settled: string[] = [];
      f.holdWriteLock();
      try {
        const { pending } = await f.startRefresh(issued.refresh_token, settled);
        await liveness(f.t, settled);
        assert.deepEqual(settled, ['healthz 200', 'jwks 200'], 'liveness answered while the write was still waiting for the lock');
        const response = await pending;
        assert.equal(response.statusCode, 503, response.body);
        assert.equal((response.json() as { error: string }).error, 'temporarily_unavailable');
        assert.match(String(response.headers['retry-after']), /^\d+$/);
      } finally {
        f.releaseWriteLock();
      }
      // Nothing half-written: the refresh token was not consumed, and it works now.
      const after = await f.refresh(issued.refresh_token);
      assert.equal(after.statusCode, 200, after.body);
      assert.equal((await f.authorize()).token_type, 'Bearer');
    });
  });

  describe('a write whose lock is released within its deadline', () => {
    let f: Fixture;
    // A deadline no slow test machine reaches, so the release always comes in time.
    before(async () => {
      f = await openFixture(600_000);
    });
    after(() => f.close());

    it('succeeds once the lock is released; liveness answered while it waited', async () => {
      const issued = await f.authorize();
      const settled: string[] = [];
      f.holdWriteLock();
      let pending: Promise<LightMyRequestResponse> | undefined;
      try {
        ({ pending } = await f.startRefresh(issued.refresh_token, settled));
        await liveness(f.t, settled);
        assert.deepEqual(settled, ['healthz 200', 'jwks 200']);
      } finally {
        f.releaseWriteLock();
      }
      assert.ok(pending);
      const response = await pending;
      assert.equal(response.statusCode, 200, response.body);
      assert.equal((await f.refresh((response.json() as TokenPair).refresh_token)).statusCode, 200);
    });
  });
});
