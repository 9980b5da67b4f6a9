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
import { createClient, createTestGatehouse, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

describe('a SQLite write lock held elsewhere never freezes the server (issue 16)', () => {
  let t: TestGatehouse;
  let client: TestClient;
  let userId: string;
  let holder: BetterSqlite3.Database;
  /** Resolves when the next refresh token rotation reaches the storage. */
  let rotationStarted: () => Promise<void>;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { name: 'Signing app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
    userId = (await t.gatehouse.admin.users.create({ tenant: client.tenant, username: 'alice', password: 'correct horse battery' })).id;
    holder = new BetterSqlite3(t.config.databaseUrl.slice('sqlite:'.length));
    // A spy, not a stub: it only tells the test that the rotation (a write) has begun.
    const store = t.gatehouse.storage.refreshTokens;
    const rotate = store.rotateRefreshToken.bind(store);
    let signal: (() => void) | undefined;
    store.rotateRefreshToken = (rotation) => {
      signal?.();
      return rotate(rotation);
    };
    rotationStarted = () => new Promise((resolve) => (signal = resolve));
  });
  after(async () => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await t.close();
  });

  async function authorize(): Promise<TokenPair> {
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
    const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as TokenPair;
  }

  /** Takes SQLite's write lock on the file as another process would: BEGIN IMMEDIATE and a write, not committed. */
  function holdWriteLock(): void {
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("UPDATE counters SET value = value WHERE name = 'revocations'").run();
  }

  /** Starts a refresh (a write) and resolves once it is under way (`pending`: its answer, recorded in `settled`). */
  async function startRefresh(refreshToken: string, settled: string[]): Promise<{ pending: Promise<LightMyRequestResponse> }> {
    const started = rotationStarted();
    const pending = refresh(t.app, client, refreshToken).then((response) => {
      settled.push('refresh');
      return response;
    });
    await started;
    return { pending };
  }

  /** /healthz and the JWKS, each recorded in `settled` when it answers. */
  async function liveness(settled: string[]): Promise<void> {
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    settled.push(`healthz ${health.statusCode}`);
    const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    settled.push(`jwks ${jwks.statusCode}`);
  }

  it('while the lock is held, /healthz and the JWKS answer; the refresh then gets 503 with Retry-After and consumed nothing', async () => {
    const issued = await authorize();
    const settled: string[] = [];
    holdWriteLock();
    try {
      const { pending } = await startRefresh(issued.refresh_token, settled);
      await liveness(settled);
      assert.deepEqual(settled, ['healthz 200', 'jwks 200'], 'liveness answered while the write was still waiting for the lock');
      const response = await pending;
      assert.equal(response.statusCode, 503, response.body);
      assert.equal((response.json() as { error: string }).error, 'temporarily_unavailable');
      assert.match(String(response.headers['retry-after']), /^\d+$/);
    } finally {
      holder.exec('ROLLBACK');
    }
    // Nothing half-written: the refresh token was not consumed, and it works now.
    const after = await refresh(t.app, client, issued.refresh_token);
    assert.equal(after.statusCode, 200, after.body);
    assert.equal((await authorize()).token_type, 'Bearer');
  });

  it('a write whose lock is released within its deadline succeeds', async () => {
    const issued = await authorize();
    const settled: string[] = [];
    holdWriteLock();
    let pending: Promise<LightMyRequestResponse> | undefined;
    try {
      ({ pending } = await startRefresh(issued.refresh_token, settled));
      await liveness(settled);
      assert.deepEqual(settled, ['healthz 200', 'jwks 200']);
    } finally {
      holder.exec('ROLLBACK');
    }
    assert.ok(pending);
    const response = await pending;
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((await refresh(t.app, client, (response.json() as TokenPair).refresh_token)).statusCode, 200);
  });
});
