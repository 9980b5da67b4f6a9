/**
 * The AdminAccountStore contract (src/core/storage/admin-accounts.ts), on every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../packages/server/src/core/errors.js';
import type { NewAdminAccount } from '../../packages/server/src/core/storage.js';
import type { Tenant } from '../../packages/server/src/core/types.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { rejectsWith } from '../helpers/assertions.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 11, 8, 1, 0);
const uniqueName = (prefix: string) => uniqueId(prefix, '.');
const fakeHash = () => `scrypt$v1$N=32768,r=8,p=1$${randomBytes(16).toString('base64url')}$${randomBytes(64).toString('base64url')}`;

for (const target of STORAGE_TARGETS) {
  describe(`admin account store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let now = T0;
    let tenantA: Tenant;
    let tenantB: Tenant;

    const newAccount = (overrides: Partial<NewAdminAccount> = {}): NewAdminAccount => ({ username: uniqueName('Admin'), passwordHash: fakeHash(), tenantId: null, ...overrides });

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'admin-accounts', clock: () => now });
      storage = fresh.storage;
      tenantA = await storage.tenants.createTenant({ slug: 'tenant-a', name: 'A', accessTokenTtl: null });
      tenantB = await storage.tenants.createTenant({ slug: 'tenant-b', name: 'B', accessTokenTtl: null });
    });
    after(() => fresh?.close());

    it('has no operator in a fresh database', async () => {
      assert.equal(await storage.adminAccounts.hasOperator(), false);
      const admin = await storage.adminAccounts.createAdminAccount(newAccount({ tenantId: tenantA.id }));
      assert.equal(await storage.adminAccounts.hasOperator(), false, 'a tenant admin is not an operator');
      await storage.adminAccounts.deleteAdminAccount(admin.id);
    });

    it('creates an operator (no tenant) and a tenant admin, enabled, without MFA; finds them by id and by username in any case', async () => {
      now = T0 + 1_000;
      const input = newAccount({ username: 'Ops.Lead@example.com' });
      const operator = await storage.adminAccounts.createAdminAccount(input);
      assert.deepEqual(operator, {
        id: operator.id,
        username: 'Ops.Lead@example.com',
        tenantId: null,
        tenantSlug: null,
        disabled: false,
        mfaEnabled: false,
        recoveryCodesLeft: 0,
        createdAt: T0 + 1_000,
        lastSignInAt: null,
      });
      assert.match(operator.id, /^[0-9a-f-]{36}$/);
      assert.equal(await storage.adminAccounts.hasOperator(), true);
      assert.deepEqual(await storage.adminAccounts.findAdminAccount(operator.id), operator);
      assert.deepEqual(await storage.adminAccounts.findAdminAccountByUsername('ops.lead@EXAMPLE.com'), { ...operator, passwordHash: input.passwordHash, totpSecretSealed: null, totpLastStep: null });
      assert.equal(await storage.adminAccounts.findAdminAccount(randomUUID()), undefined);
      assert.equal(await storage.adminAccounts.findAdminAccountByUsername('nobody'), undefined);

      const tenantAdmin = await storage.adminAccounts.createAdminAccount(newAccount({ tenantId: tenantA.id }));
      assert.equal(tenantAdmin.tenantId, tenantA.id);
      assert.equal(tenantAdmin.tenantSlug, 'tenant-a');
    });

    it('refuses a username taken in any letter case (ConflictError), also concurrently, and an unknown tenant (NotFoundError)', async () => {
      const name = uniqueName('Taken');
      await storage.adminAccounts.createAdminAccount(newAccount({ username: name }));
      await rejectsWith(storage.adminAccounts.createAdminAccount(newAccount({ username: name.toUpperCase(), tenantId: tenantB.id })), ConflictError);
      const racer = uniqueName('Racer');
      const outcomes = await Promise.allSettled([racer, racer.toLowerCase(), racer.toUpperCase()].map((username) => storage.adminAccounts.createAdminAccount(newAccount({ username }))));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof ConflictError, String(o.reason));
      await rejectsWith(storage.adminAccounts.createAdminAccount(newAccount({ tenantId: randomUUID() })), NotFoundError);
    });

    it('an admin account may share its username with an end user', async () => {
      const name = uniqueName('shared');
      await storage.users.createUser({ username: name, passwordHash: fakeHash(), tenantIds: [tenantA.id] });
      const admin = await storage.adminAccounts.createAdminAccount(newAccount({ username: name }));
      assert.equal(admin.username, name);
    });

    it('lists a tenant admin of A for A only: not for B, not among the operators', async () => {
      const ofA = await storage.adminAccounts.createAdminAccount(newAccount({ username: uniqueName('a-admin'), tenantId: tenantA.id }));
      const ofB = await storage.adminAccounts.createAdminAccount(newAccount({ username: uniqueName('b-admin'), tenantId: tenantB.id }));
      const listA = await storage.adminAccounts.listAdminAccounts({ kind: 'tenant', tenantId: tenantA.id });
      const listB = await storage.adminAccounts.listAdminAccounts({ kind: 'tenant', tenantId: tenantB.id });
      const operators = await storage.adminAccounts.listAdminAccounts({ kind: 'operators' });
      const all = await storage.adminAccounts.listAdminAccounts({ kind: 'all' });
      assert.ok(listA.some((a) => a.id === ofA.id));
      assert.ok(!listB.some((a) => a.id === ofA.id), 'tenant admin of A is not listed for B');
      assert.ok(listB.some((a) => a.id === ofB.id));
      assert.ok(listA.every((a) => a.tenantId === tenantA.id));
      assert.ok(listB.every((a) => a.tenantId === tenantB.id));
      assert.ok(operators.every((a) => a.tenantId === null) && operators.length > 0);
      assert.ok(all.some((a) => a.id === ofA.id) && all.some((a) => a.id === ofB.id));
      const names = all.map((a) => a.username.toLowerCase());
      assert.deepEqual(names, [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)), 'sorted by normalised username');
    });

    it('replaces the password, disables and enables, records the sign-in time', async () => {
      const account = await storage.adminAccounts.createAdminAccount(newAccount());
      const hash = fakeHash();
      now = T0 + 5_000;
      assert.equal((await storage.adminAccounts.setAdminPassword(account.id, hash))?.id, account.id);
      assert.equal((await storage.adminAccounts.findAdminAccountByUsername(account.username))?.passwordHash, hash);
      assert.equal((await storage.adminAccounts.setAdminDisabled(account.id, true))?.disabled, true);
      assert.equal((await storage.adminAccounts.setAdminDisabled(account.id, false))?.disabled, false);
      await storage.adminAccounts.recordAdminSignIn(account.id, T0 + 9_000);
      assert.equal((await storage.adminAccounts.findAdminAccount(account.id))?.lastSignInAt, T0 + 9_000);
      assert.equal(await storage.adminAccounts.setAdminPassword(randomUUID(), hash), undefined);
      assert.equal(await storage.adminAccounts.setAdminDisabled(randomUUID(), true), undefined);
    });

    it('enrols MFA with its recovery codes; a TOTP step is accepted once and only after the last one; a recovery code once', async () => {
      const account = await storage.adminAccounts.createAdminAccount(newAccount());
      assert.equal(await storage.adminAccounts.useTotpStep(account.id, 100), false, 'no MFA: no step is accepted');
      const digests = [randomDigest(), randomDigest(), randomDigest()];
      const enrolled = await storage.adminAccounts.enableAdminMfa(account.id, 'v1.sealed', 100, digests);
      assert.equal(enrolled?.mfaEnabled, true);
      assert.equal(enrolled?.recoveryCodesLeft, 3);
      const credentials = await storage.adminAccounts.findAdminAccountByUsername(account.username);
      assert.equal(credentials?.totpSecretSealed, 'v1.sealed');
      assert.equal(credentials?.totpLastStep, 100);

      assert.equal(await storage.adminAccounts.useTotpStep(account.id, 100), false, 'the confirming step cannot be replayed');
      assert.equal(await storage.adminAccounts.useTotpStep(account.id, 99), false, 'nor an earlier one');
      const racing = await Promise.all([1, 2, 3].map(() => storage.adminAccounts.useTotpStep(account.id, 101)));
      assert.deepEqual(racing.filter(Boolean).length, 1, 'of concurrent uses of one step exactly one wins');
      assert.equal(await storage.adminAccounts.useTotpStep(account.id, 103), true);
      assert.equal(await storage.adminAccounts.useTotpStep(account.id, 102), false);

      const uses = await Promise.all([1, 2].map(() => storage.adminAccounts.useRecoveryCode(account.id, digests[0]!)));
      assert.deepEqual(uses.filter(Boolean).length, 1, 'a recovery code is used once');
      assert.equal(await storage.adminAccounts.useRecoveryCode(account.id, randomDigest()), false);
      assert.equal((await storage.adminAccounts.findAdminAccount(account.id))?.recoveryCodesLeft, 2);

      const other = await storage.adminAccounts.createAdminAccount(newAccount());
      assert.equal(await storage.adminAccounts.useRecoveryCode(other.id, digests[1]!), false, "another account cannot use this account's code");

      const disabled = await storage.adminAccounts.disableAdminMfa(account.id);
      assert.equal(disabled?.mfaEnabled, false);
      assert.equal(disabled?.recoveryCodesLeft, 0);
      assert.equal(await storage.adminAccounts.useRecoveryCode(account.id, digests[1]!), false);
      assert.equal((await storage.adminAccounts.findAdminAccountByUsername(account.username))?.totpLastStep, null);
    });

    it('re-enrolling replaces the recovery codes', async () => {
      const account = await storage.adminAccounts.createAdminAccount(newAccount());
      const first = [randomDigest(), randomDigest()];
      await storage.adminAccounts.enableAdminMfa(account.id, 'v1.one', 1, first);
      const second = [randomDigest()];
      assert.equal((await storage.adminAccounts.enableAdminMfa(account.id, 'v1.two', 2, second))?.recoveryCodesLeft, 1);
      assert.equal(await storage.adminAccounts.useRecoveryCode(account.id, first[0]!), false);
      assert.equal(await storage.adminAccounts.useRecoveryCode(account.id, second[0]!), true);
      assert.equal(await storage.adminAccounts.enableAdminMfa(randomUUID(), 'v1.x', 1, []), undefined);
    });

    it('deletes an account with its recovery codes; its username is free again', async () => {
      const account = await storage.adminAccounts.createAdminAccount(newAccount({ tenantId: tenantB.id }));
      await storage.adminAccounts.enableAdminMfa(account.id, 'v1.s', 1, [randomDigest()]);
      assert.equal(await storage.adminAccounts.deleteAdminAccount(account.id), true);
      assert.equal(await storage.adminAccounts.deleteAdminAccount(account.id), false);
      assert.equal(await storage.adminAccounts.findAdminAccount(account.id), undefined);
      const again = await storage.adminAccounts.createAdminAccount(newAccount({ username: account.username }));
      assert.equal(again.recoveryCodesLeft, 0);
    });
  });
}
