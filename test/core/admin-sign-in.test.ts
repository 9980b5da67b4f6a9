/**
 * The admin sign-in flow (core/admin/sign-in.ts) as functions, without HTTP: state
 * handling, the second factor's own throttle, and an account changed between the steps.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AdminMfa, sealTotpSecret } from '../../packages/server/src/core/admin/mfa.js';
import { startSignIn, submitPassword, submitSecondFactor, type AdminSignInDeps, type AdminSignInStep } from '../../packages/server/src/core/admin/sign-in.js';
import { hashPassword } from '../../packages/server/src/core/password.js';
import { totpCode, totpStep } from '../../packages/server/src/core/totp.js';
import { MemoryThrottleStore } from '../../packages/server/src/store/memory/throttle.js';
import { SQLITE_TARGET } from '../helpers/postgres.js';
import { openFreshStorage, type FreshStorage } from '../helpers/storage.js';

const PASSWORD = 'operator-pass-phrase-1';
const NOW = Date.UTC(2026, 11, 8, 9, 0);

function pageOf(step: AdminSignInStep) {
  assert.equal(step.kind, 'page');
  return step as Extract<AdminSignInStep, { kind: 'page' }>;
}
/** The CSRF token of a login or second-factor page. */
const csrfOf = (step: AdminSignInStep) => {
  const { model } = pageOf(step);
  assert.ok('csrfToken' in model);
  return model.csrfToken;
};
const sealed = (step: AdminSignInStep) => {
  const page = pageOf(step);
  assert.ok(page.state && page.state !== 'clear');
  return page.state.set;
};

describe('admin sign-in flow', () => {
  let fresh: FreshStorage;
  let deps: AdminSignInDeps;
  const secret = randomBytes(20);
  const events: string[] = [];

  before(async () => {
    fresh = await openFreshStorage(SQLITE_TARGET, { prefix: 'admin-sign-in' });
    const accounts = fresh.storage.adminAccounts;
    const keys = { totpSecret: randomBytes(32), recoveryCode: randomBytes(32) };
    const audit = { record: async (event: { action: string }) => void events.push(event.action) };
    deps = {
      accounts,
      tenants: fresh.storage.tenants,
      mfa: new AdminMfa({ accounts, keys, audit, issuerLabel: 'Gatehouse (test)' }),
      throttle: new MemoryThrottleStore(),
      config: { throttleWindow: 300, loginMaxFailuresPerUser: 3, loginMaxFailuresPerAddress: 100 },
      audit,
      stateKey: randomBytes(32),
    };
    const created = await accounts.createAdminAccount({ username: 'ops', passwordHash: await hashPassword(PASSWORD), tenantId: null });
    await accounts.enableAdminMfa(created.id, sealTotpSecret(secret, created.id, keys.totpSecret), totpStep(NOW) - 10, []);
  });
  after(() => fresh?.close());

  async function toSecondFactor(): Promise<{ state: string; csrf: string }> {
    const start = startSignIn(undefined, deps, NOW);
    const step = await submitPassword(sealed(start), { csrfToken: csrfOf(start), username: 'ops', password: PASSWORD }, '192.0.2.1', deps, NOW);
    assert.equal(pageOf(step).page, 'second-factor');
    return { state: sealed(step), csrf: csrfOf(step) };
  }

  it('refuses an expired state with a fresh form, and a second factor without the password step', async () => {
    const start = startSignIn(undefined, deps, NOW);
    const late = await submitPassword(sealed(start), { csrfToken: csrfOf(start), username: 'ops', password: PASSWORD }, '192.0.2.1', deps, NOW + 11 * 60_000);
    assert.equal(pageOf(late).status, 400);
    assert.equal(pageOf(late).page, 'login');
    const skipped = await submitSecondFactor(sealed(start), { csrfToken: csrfOf(start), code: totpCode(secret, NOW) }, deps, NOW);
    assert.equal(pageOf(skipped).status, 400);
    assert.equal(pageOf(skipped).page, 'login');
  });

  it('signs in with a current code as an operator principal, and records the sign-in', async () => {
    const { state, csrf } = await toSecondFactor();
    const step = await submitSecondFactor(state, { csrfToken: csrf, code: totpCode(secret, NOW) }, deps, NOW);
    assert.equal(step.kind, 'signed-in');
    assert.deepEqual(step.kind === 'signed-in' && step.principal, { kind: 'operator', actor: 'ops' });
    assert.ok(events.includes('admin.sign_in'));
  });

  it('throttles wrong codes per account: after the limit even the right code is refused (429)', async () => {
    const { state, csrf } = await toSecondFactor();
    for (let i = 0; i < 3; i++) assert.equal(pageOf(await submitSecondFactor(state, { csrfToken: csrf, code: '000000' }, deps, NOW + 60_000)).status, 401);
    const refused = pageOf(await submitSecondFactor(state, { csrfToken: csrf, code: totpCode(secret, NOW + 60_000) }, deps, NOW + 60_000));
    assert.equal(refused.status, 429);
    assert.ok((refused.retryAfter ?? 0) > 0);
    assert.ok(events.includes('admin_login.throttled'));
  });

  it('starts again when the account was disabled between the password and the code', async () => {
    const other = await deps.accounts.findAdminAccountByUsername('ops');
    try {
      const { state, csrf } = await toSecondFactor();
      await fresh.storage.adminAccounts.setAdminDisabled(other!.id, true);
      const step = pageOf(await submitSecondFactor(state, { csrfToken: csrf, code: totpCode(secret, NOW + 600_000) }, { ...deps, throttle: new MemoryThrottleStore() }, NOW + 120_000));
      assert.equal(step.page, 'login');
      assert.equal(step.status, 400);
    } finally {
      await fresh.storage.adminAccounts.setAdminDisabled(other!.id, false);
    }
  });
});
