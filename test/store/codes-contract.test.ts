/**
 * The CodeStore contract (src/core/storage.ts) and code replay (GrantStore.revokeGrantByCode),
 * run against every backend in STORAGE_TARGETS: SQLite always, PostgreSQL when
 * GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { NewCode, NewGrant } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { countStatuses, rejectsWith } from '../helpers/assertions.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { installFailingGrantUpdate, removeFailingGrantUpdate, withRowLock } from '../helpers/row-lock.js';
import { closeFreshStorages, openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);
const MINUTE = 60_000;

for (const target of STORAGE_TARGETS) {
  describe(`code store contract (${target.name})`, { skip: target.skip }, () => {
    let main: FreshStorage;
    let url: string;
    let storage: SqlStorage;
    let clientId: string;
    /** Closed and dropped at the end, last opened first. */
    const opened: FreshStorage[] = [];

    before(async () => {
      // Room for 20 sessions blocked at once on one row (PostgreSQL).
      main = await openFreshStorage(target, { prefix: 'codes', poolSize: 25 });
      opened.push(main);
      ({ storage, url } = main);
      const tenant = await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      clientId = (
        await storage.clients.createClient({
          id: uniqueId('client'),
          tenantId: tenant.id,
          name: 'Signing app',
          isPublic: true,
          secretDigest: null,
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['documents:read', 'documents:write'],
          defaultScopes: [],
          redirectUris: ['https://app.example.com/callback'],
          accessTokenTtl: null,
          resourceServer: false,
        })
      ).id;
    });

    after(() => closeFreshStorages(opened));

    /** A NewCode with every field set to a non-default value, so a dropped field shows. */
    const newCode = (overrides: Partial<NewCode> = {}): NewCode => ({
      codeDigest: randomDigest(),
      clientId,
      userId: `user-${randomBytes(4).toString('hex')}`,
      redirectUri: 'https://app.example.com/callback?from=consent',
      scope: ['documents:read', 'documents:write'],
      tenants: ['acme', 'acme-eu'],
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
      authTime: T0 - 5_000,
      expiresAt: T0 + 10 * MINUTE,
      ...overrides,
    });

    const newGrant = (code: NewCode, overrides: Partial<NewGrant> = {}): NewGrant => ({
      id: randomUUID(),
      clientId: code.clientId,
      userId: code.userId,
      codeDigest: code.codeDigest,
      scope: code.scope,
      tenants: code.tenants,
      createdAt: T0 + 1_000,
      absoluteExpiresAt: T0 + 30 * 24 * 60 * MINUTE,
      ...overrides,
    });

    const revision = async () => (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;

    describe('createCode and consumeCode', () => {
      it('createCode returns the stored code, unused; consumeCode hands it back exactly, every field round-tripped', async () => {
        const input = newCode();
        const created = await storage.codes.createCode(input);
        assert.deepEqual(created, { ...input, consumedAt: null });
        const outcome = await storage.codes.consumeCode(input.codeDigest, T0 + 1_000);
        assert.deepEqual(outcome, { status: 'consumed', code: { ...input, consumedAt: T0 + 1_000 } });
      });

      it('round-trips a code without PKCE (nulls, not empty strings) and with empty scope and tenant lists', async () => {
        const input = newCode({ codeChallenge: null, codeChallengeMethod: null, scope: [], tenants: [] });
        assert.deepEqual(await storage.codes.createCode(input), { ...input, consumedAt: null });
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest, T0), { status: 'consumed', code: { ...input, consumedAt: T0 } });
      });

      it('findCode reads a code without changing it: unused, then consumed; undefined for an unknown digest', async () => {
        const input = newCode();
        await storage.codes.createCode(input);
        assert.deepEqual(await storage.codes.findCode(input.codeDigest), { ...input, consumedAt: null });
        assert.deepEqual(await storage.codes.findCode(input.codeDigest), { ...input, consumedAt: null }, 'reading twice changes nothing');
        assert.equal((await storage.codes.consumeCode(input.codeDigest, T0 + 1_000)).status, 'consumed', 'still unused after findCode');
        assert.deepEqual(await storage.codes.findCode(input.codeDigest), { ...input, consumedAt: T0 + 1_000 });
        assert.equal(await storage.codes.findCode(randomDigest()), undefined);
      });

      it('round-trips a code whose authorization request carried no redirect_uri (null)', async () => {
        const input = newCode({ redirectUri: null });
        assert.deepEqual(await storage.codes.createCode(input), { ...input, consumedAt: null });
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest, T0), { status: 'consumed', code: { ...input, consumedAt: T0 } });
      });

      it("a code is used once: the second presentation answers 'replayed' with the code, and so does every later one", async () => {
        const input = newCode();
        await storage.codes.createCode(input);
        assert.equal((await storage.codes.consumeCode(input.codeDigest, T0 + 1_000)).status, 'consumed');
        for (const now of [T0 + 2_000, T0 + 3_000, T0 + 11 * MINUTE]) {
          assert.deepEqual(
            await storage.codes.consumeCode(input.codeDigest, now),
            { status: 'replayed', code: { ...input, consumedAt: T0 + 1_000 } },
            'the first consumption time is kept, even after the code expired',
          );
        }
      });

      it("answers 'unknown' for a digest never stored, and matches digests exactly", async () => {
        const input = newCode();
        await storage.codes.createCode(input);
        assert.deepEqual(await storage.codes.consumeCode(randomDigest(), T0), { status: 'unknown' });
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest.toUpperCase(), T0), { status: 'unknown' });
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest.slice(0, -1), T0), { status: 'unknown' });
        assert.equal((await storage.codes.consumeCode(input.codeDigest, T0)).status, 'consumed', 'the near misses consumed nothing');
      });

      it("a code presented at or after its expiry answers 'expired', is marked consumed, and keeps answering 'expired'", async () => {
        const atExpiry = newCode();
        await storage.codes.createCode(atExpiry);
        assert.deepEqual(await storage.codes.consumeCode(atExpiry.codeDigest, atExpiry.expiresAt), { status: 'expired' });
        assert.deepEqual(await storage.codes.consumeCode(atExpiry.codeDigest, atExpiry.expiresAt + 1), { status: 'expired' }, 'never replayed: nothing was issued from it');
        const row = await storage.db.selectFrom('authorization_codes').select('consumed_at').where('code_digest', '=', atExpiry.codeDigest).executeTakeFirstOrThrow();
        assert.equal(Number(row.consumed_at), atExpiry.expiresAt, 'marked consumed');

        const justBefore = newCode();
        await storage.codes.createCode(justBefore);
        assert.equal((await storage.codes.consumeCode(justBefore.codeDigest, justBefore.expiresAt - 1)).status, 'consumed', 'one millisecond before expiry');
      });

      it('a duplicate digest fails with ConflictError and leaves the stored code alone', async () => {
        const input = newCode();
        await storage.codes.createCode(input);
        await rejectsWith(storage.codes.createCode(newCode({ codeDigest: input.codeDigest, userId: 'intruder' })), ConflictError);
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest, T0), { status: 'consumed', code: { ...input, consumedAt: T0 } });
      });

      it('a code of an unknown client fails with NotFoundError and stores nothing', async () => {
        const input = newCode({ clientId: 'no-such-client' });
        await rejectsWith(storage.codes.createCode(input), NotFoundError);
        assert.deepEqual(await storage.codes.consumeCode(input.codeDigest, T0), { status: 'unknown' });
      });

      it("of 20 concurrent presentations of one code exactly one answers 'consumed', the 19 others 'replayed'", async () => {
        const input = newCode();
        await storage.codes.createCode(input);
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => storage.codes.consumeCode(input.codeDigest, T0 + i)));
        assert.deepEqual(countStatuses(outcomes), { consumed: 1, replayed: 19 });
        const consumedAt = new Set(outcomes.map((outcome) => (outcome.status === 'consumed' || outcome.status === 'replayed' ? outcome.code.consumedAt : null)));
        assert.equal(consumedAt.size, 1, "every loser sees the winner's consumption time");
      });

      it(
        "PostgreSQL: 20 consumers queued on the code's row lock at once: exactly one 'consumed'",
        { skip: target.name === 'postgres' ? false : 'SQLite runs one writer at a time' },
        async () => {
          for (let round = 0; round < 3; round += 1) {
            const input = newCode();
            await storage.codes.createCode(input);
            const outcomes = await withRowLock(url, `select 1 from authorization_codes where code_digest = '${input.codeDigest}' for update`, async (waitUntilBlocked) => {
              const calls = Array.from({ length: 20 }, (_, i) => storage.codes.consumeCode(input.codeDigest, T0 + i));
              await waitUntilBlocked(20);
              return calls;
            });
            assert.deepEqual(countStatuses(outcomes), { consumed: 1, replayed: 19 }, `round ${round}`);
          }
        },
      );

      it("two processes presenting one code at once: one 'consumed', one 'replayed'", async () => {
        const second = main.openAnother();
        for (let round = 0; round < 5; round += 1) {
          const input = newCode();
          await storage.codes.createCode(input);
          const outcomes = await Promise.all([storage.codes.consumeCode(input.codeDigest, T0), second.codes.consumeCode(input.codeDigest, T0)]);
          assert.deepEqual(countStatuses(outcomes), { consumed: 1, replayed: 1 });
        }
      });
    });

    describe('code replay revokes the grant (revokeGrantByCode)', () => {
      it('revokes the grant issued from the code, once, through the revocation feed', async () => {
        const code = newCode();
        await storage.codes.createCode(code);
        await storage.codes.consumeCode(code.codeDigest, T0);
        const grant = await storage.grants.createGrant(newGrant(code));
        assert.equal(grant.revokedAt, null);
        const start = await revision();

        assert.equal((await storage.codes.consumeCode(code.codeDigest, T0 + 2_000)).status, 'replayed');
        assert.deepEqual(await storage.grants.revokeGrantByCode(code.codeDigest, T0 + 2_000), { ...grant, revokedAt: T0 + 2_000 });
        assert.equal(await revision(), start + 1);
        assert.deepEqual((await storage.revocations.readChanges(start, 0)).grants, [grant.id]);

        assert.deepEqual(await storage.grants.revokeGrantByCode(code.codeDigest, T0 + 3_000), { ...grant, revokedAt: T0 + 2_000 }, 'a second replay changes nothing');
        assert.equal(await revision(), start + 1, 'and bumps no revision');
      });

      it('returns undefined for a code without a grant, or unknown, and bumps no revision', async () => {
        const code = newCode();
        await storage.codes.createCode(code);
        const start = await revision();
        assert.equal(await storage.grants.revokeGrantByCode(code.codeDigest, T0), undefined);
        assert.equal(await storage.grants.revokeGrantByCode(randomDigest(), T0), undefined);
        assert.equal(await revision(), start);
      });

      it('a grant created after the replay was recorded is born revoked, with a revision of its own', async () => {
        const code = newCode();
        await storage.codes.createCode(code);
        await storage.codes.consumeCode(code.codeDigest, T0);
        await storage.grants.revokeGrantByCode(code.codeDigest, T0 + 500);
        const start = await revision();
        const input = newGrant(code);
        const refreshToken = { id: randomUUID(), tokenDigest: randomDigest(), idleExpiresAt: T0 + 60_000 };
        const grant = await storage.grants.createGrant({ ...input, refreshToken });
        assert.deepEqual(grant, { ...input, revokedAt: T0 + 500, lastUsedAt: input.createdAt });
        assert.deepEqual(await storage.grants.findGrant(input.id), grant);
        assert.equal(await storage.refreshTokens.findRefreshToken(refreshToken.tokenDigest), undefined, 'a born-revoked grant gets no refresh token');
        assert.equal(await revision(), start + 1);
        assert.deepEqual((await storage.revocations.readChanges(start, 0)).grants, [input.id]);
      });

      it('a born-revoked grant that fails to insert leaves no revision behind', async () => {
        const code = newCode();
        await storage.codes.createCode(code);
        await storage.grants.revokeGrantByCode(code.codeDigest, T0);
        const existing = await storage.grants.createGrant(newGrant(newCode({ codeDigest: randomDigest() })));
        const start = await revision();
        await rejectsWith(storage.grants.createGrant(newGrant(code, { id: existing.id })), ConflictError);
        assert.equal(await revision(), start, 'the bump rolled back with the insert');
        assert.equal(await storage.grants.revokeGrantByCode(code.codeDigest, T0), undefined, 'no grant was stored for the code');
      });

      it(
        'PostgreSQL: an exchange and a replay racing on the code end with the grant revoked and listed once, whichever goes first',
        { skip: target.name === 'postgres' ? false : 'SQLite runs one writer at a time' },
        async () => {
          for (let round = 0; round < 6; round += 1) {
            const code = newCode();
            await storage.codes.createCode(code);
            await storage.codes.consumeCode(code.codeDigest, T0);
            const start = await revision();
            const input = newGrant(code);
            await withRowLock<unknown>(url, `select 1 from authorization_codes where code_digest = '${code.codeDigest}' for update`, async (waitUntilBlocked) => {
              // Alternate which call queues first on the code's row.
              const calls: Promise<unknown>[] = [];
              const exchange = () => storage.grants.createGrant(input);
              const replay = () => storage.grants.revokeGrantByCode(code.codeDigest, T0 + 1_000);
              calls.push(round % 2 === 0 ? exchange() : replay());
              await waitUntilBlocked(1);
              calls.push(round % 2 === 0 ? replay() : exchange());
              await waitUntilBlocked(2);
              return calls;
            });
            const grant = await storage.grants.findGrant(input.id);
            assert.equal(grant?.revokedAt, T0 + 1_000, `round ${round}: the grant is revoked`);
            assert.equal(await revision(), start + 1, `round ${round}: one revision`);
            assert.deepEqual((await storage.revocations.readChanges(start, 0)).grants, [input.id]);
          }
        },
      );

      it('a replay that fails part-way records nothing: the code is not marked and the grant not revoked', async () => {
        const code = newCode();
        await storage.codes.createCode(code);
        const grant = await storage.grants.createGrant(newGrant(code));
        const start = await revision();
        await installFailingGrantUpdate(storage, grant.id);
        try {
          await rejectsWith(storage.grants.revokeGrantByCode(code.codeDigest, T0), StorageUnavailableError);
        } finally {
          await removeFailingGrantUpdate(storage);
        }
        assert.equal(await revision(), start);
        assert.equal((await storage.grants.findGrant(grant.id))?.revokedAt, null);
        const row = await storage.db.selectFrom('authorization_codes').select('grant_revoked_at').where('code_digest', '=', code.codeDigest).executeTakeFirstOrThrow();
        assert.equal(row.grant_revoked_at, null, 'the replay mark rolled back too');
      });
    });

    describe('pruneExpired', () => {
      it('deletes the codes consumed, or expired, more than 10 minutes ago, and only those', async () => {
        const fresh = await openSeparateStorage();
        const now = T0 + 60 * MINUTE;
        const cutoff = now - 10 * MINUTE;
        const codes = {
          consumedLongAgo: newCode({ expiresAt: now }),
          consumedAtCutoff: newCode({ expiresAt: now }),
          consumedRecently: newCode({ expiresAt: now }),
          expiredLongAgo: newCode({ expiresAt: cutoff - 1 }),
          expiredAtCutoff: newCode({ expiresAt: cutoff }),
          expiredRecently: newCode({ expiresAt: now - MINUTE }),
          unused: newCode({ expiresAt: now + MINUTE }),
        };
        for (const code of Object.values(codes)) await fresh.codes.createCode(code);
        await fresh.codes.consumeCode(codes.consumedLongAgo.codeDigest, cutoff - 1);
        await fresh.codes.consumeCode(codes.consumedAtCutoff.codeDigest, cutoff);
        await fresh.codes.consumeCode(codes.consumedRecently.codeDigest, now - MINUTE);

        assert.equal(await fresh.codes.pruneExpired(now), 2);
        const left = (await fresh.db.selectFrom('authorization_codes').select('code_digest').execute()).map((row) => row.code_digest).sort();
        const kept = [codes.consumedAtCutoff, codes.consumedRecently, codes.expiredAtCutoff, codes.expiredRecently, codes.unused].map((code) => code.codeDigest).sort();
        assert.deepEqual(left, kept);
        assert.deepEqual(await fresh.codes.consumeCode(codes.consumedLongAgo.codeDigest, now), { status: 'unknown' });
        assert.equal((await fresh.codes.consumeCode(codes.consumedRecently.codeDigest, now)).status, 'replayed', 'a replay is still recognised');
        assert.equal(await fresh.codes.pruneExpired(now), 0, 'nothing left to prune');
      });
    });

    /** A migrated storage on a database of its own (for tests that count rows). */
    async function openSeparateStorage(): Promise<SqlStorage> {
      const separate = await openFreshStorage(target, { prefix: 'codes' });
      opened.push(separate);
      const fresh = separate.storage;
      const tenant = await fresh.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      await fresh.clients.createClient({
        id: clientId,
        tenantId: tenant.id,
        name: 'Signing app',
        isPublic: true,
        secretDigest: null,
        grantTypes: ['authorization_code'],
        scopes: [],
        defaultScopes: [],
        redirectUris: [],
        accessTokenTtl: null,
        resourceServer: false,
      });
      return fresh;
    }
  });
}
