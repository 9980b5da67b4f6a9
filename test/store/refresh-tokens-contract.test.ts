/**
 * The GrantStore and RefreshTokenStore contracts (src/core/storage.ts), with the grant
 * revocations of the revocation feed, run against every backend in STORAGE_TARGETS:
 * SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../packages/server/src/core/errors.js';
import type { NewGrant, NewRefreshToken, RefreshTokenRotation, RotationOutcome } from '../../packages/server/src/core/storage.js';
import type { AuthorizationGrant, RefreshToken } from '../../packages/server/src/core/types.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { countStatuses, rejectsWith } from '../helpers/assertions.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { installFailingGrantUpdate, removeFailingGrantUpdate, withRowLock } from '../helpers/row-lock.js';
import { closeFreshStorages, openFreshStorage, randomDigest, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);
const SECOND = 1_000;
const DAY = 24 * 60 * 60 * SECOND;
const IDLE = 14 * DAY;

for (const target of STORAGE_TARGETS) {
  describe(`grant and refresh token store contract (${target.name})`, { skip: target.skip }, () => {
    let main: FreshStorage;
    let url: string;
    let storage: SqlStorage;
    let clientId: string;
    let otherClientId: string;
    /** Closed and dropped at the end, last opened first. */
    const opened: FreshStorage[] = [];

    /** A migrated storage on an empty database, with two clients. */
    async function openFresh(poolSize?: number): Promise<FreshStorage> {
      const opening = await openFreshStorage(target, { prefix: 'refresh', poolSize });
      opened.push(opening);
      const fresh = opening.storage;
      const tenant = await fresh.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null });
      for (const id of [clientId, otherClientId]) {
        await fresh.clients.createClient({
          id,
          tenantId: tenant.id,
          name: 'Signing app',
          isPublic: true,
          secretDigest: null,
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['documents:read'],
          defaultScopes: [],
          redirectUris: ['https://app.example.com/callback'],
          accessTokenTtl: null,
          resourceServer: false,
        });
      }
      return opening;
    }

    before(async () => {
      clientId = uniqueId('client');
      otherClientId = uniqueId('client');
      // Room for 20 sessions blocked at once on one row (PostgreSQL).
      main = await openFresh(25);
      ({ storage, url } = main);
    });

    after(() => closeFreshStorages(opened));

    const newGrant = (overrides: Partial<NewGrant> = {}): NewGrant => ({
      id: randomUUID(),
      clientId,
      userId: `user-${randomBytes(4).toString('hex')}`,
      codeDigest: randomDigest(),
      scope: ['documents:read', 'offline_access'],
      tenants: ['acme', 'acme-eu'],
      createdAt: T0,
      absoluteExpiresAt: T0 + 90 * DAY,
      ...overrides,
    });

    const newToken = (grant: AuthorizationGrant, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken => ({
      id: randomUUID(),
      tokenDigest: randomDigest(),
      grantId: grant.id,
      clientId: grant.clientId,
      createdAt: T0,
      idleExpiresAt: T0 + IDLE,
      ...overrides,
    });

    const rotation = (presented: { tokenDigest: string }, now: number, overrides: Partial<RefreshTokenRotation> = {}): RefreshTokenRotation => ({
      presentedDigest: presented.tokenDigest,
      clientId,
      newToken: { id: randomUUID(), tokenDigest: randomDigest(), idleExpiresAt: now + IDLE },
      now,
      graceSeconds: 0,
      ...overrides,
    });

    /** A grant with one current refresh token, on `on` (default: the shared storage). */
    async function grantWithToken(on: SqlStorage = storage, grantOverrides: Partial<NewGrant> = {}): Promise<{ grant: AuthorizationGrant; token: RefreshToken }> {
      const grant = await on.grants.createGrant(newGrant(grantOverrides));
      const token = await on.refreshTokens.createRefreshToken(newToken(grant));
      return { grant, token };
    }

    const revisionOf = async (on: SqlStorage) => (await on.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;

    describe('grants', () => {
      it('createGrant returns the grant, not revoked; findGrant round-trips every field', async () => {
        const input = newGrant();
        const grant = await storage.grants.createGrant(input);
        assert.deepEqual(grant, { ...input, revokedAt: null, lastUsedAt: input.createdAt });
        assert.deepEqual(await storage.grants.findGrant(input.id), grant);
        assert.equal(await storage.grants.findGrant(randomUUID()), undefined);
        assert.equal(await storage.grants.findGrant(input.id.toUpperCase()), undefined, 'ids are matched exactly');
      });

      it('a taken id, or a second grant for the same code, fails with ConflictError; an unknown client with NotFoundError', async () => {
        const first = await storage.grants.createGrant(newGrant());
        await rejectsWith(storage.grants.createGrant(newGrant({ id: first.id })), ConflictError);
        await rejectsWith(storage.grants.createGrant(newGrant({ codeDigest: first.codeDigest })), ConflictError);
        const orphan = newGrant({ clientId: 'no-such-client' });
        await rejectsWith(storage.grants.createGrant(orphan), NotFoundError);
        assert.equal(await storage.grants.findGrant(orphan.id), undefined);
        assert.deepEqual(await storage.grants.findGrant(first.id), first, 'the first grant is unchanged');
      });

      it('createGrant with a first refresh token stores both; the token is current and rotates', async () => {
        const first = { id: randomUUID(), tokenDigest: randomDigest(), idleExpiresAt: T0 + IDLE };
        const { refreshToken: _omitted, ...fields } = newGrant({ refreshToken: first });
        const grant = await storage.grants.createGrant({ ...fields, refreshToken: first });
        assert.deepEqual(grant, { ...fields, revokedAt: null, lastUsedAt: fields.createdAt });
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(first.tokenDigest), {
          ...first,
          grantId: grant.id,
          clientId: grant.clientId,
          createdAt: T0,
          rotatedAt: null,
          replacedBy: null,
        });
        const outcome = await storage.refreshTokens.rotateRefreshToken(rotation(first, T0 + SECOND));
        assert.equal(outcome.status, 'rotated');
      });

      it('a grant whose first refresh token cannot be stored is not stored either (one transaction)', async () => {
        const { token: taken } = await grantWithToken();
        const input = newGrant({ refreshToken: { id: randomUUID(), tokenDigest: taken.tokenDigest, idleExpiresAt: T0 + IDLE } });
        await rejectsWith(storage.grants.createGrant(input), ConflictError);
        assert.equal(await storage.grants.findGrant(input.id), undefined, 'the grant rolled back with the refresh token');
      });

      it('revokeGrant revokes once: the first time stays, the revision rises once, and the feed lists the grant once, after that revision only', async () => {
        const grant = await storage.grants.createGrant(newGrant());
        const start = await revisionOf(storage);
        assert.deepEqual(await storage.grants.revokeGrant(grant.id, T0 + SECOND), { ...grant, revokedAt: T0 + SECOND });
        assert.equal(await revisionOf(storage), start + 1);

        const changes = await storage.revocations.readChanges(start, Number.MAX_SAFE_INTEGER);
        assert.deepEqual(changes, { revision: start + 1, clients: [], tokens: [], withdrawn_keys: [], grants: [grant.id] }, 'grant entries are not cut by token expiry');
        assert.deepEqual((await storage.revocations.readChanges(start + 1, 0)).grants, []);

        assert.deepEqual(await storage.grants.revokeGrant(grant.id, T0 + 2 * SECOND), { ...grant, revokedAt: T0 + SECOND }, 'idempotent');
        assert.equal(await revisionOf(storage), start + 1, 'revoking again bumps nothing');
        assert.deepEqual((await storage.revocations.readChanges(start + 1, 0)).grants, []);
        assert.equal((await storage.revocations.readChanges(0, 0)).grants.filter((id) => id === grant.id).length, 1, 'the whole state lists it once');
      });

      it("listGrantsOfUser lists that user's grants only, revoked ones included, oldest first", async () => {
        const userId = uniqueId('user');
        const later = await storage.grants.createGrant(newGrant({ userId, createdAt: T0 + DAY, clientId: otherClientId }));
        const earlier = await storage.grants.createGrant(newGrant({ userId, createdAt: T0 }));
        await storage.grants.createGrant(newGrant());
        const revoked = await storage.grants.revokeGrant(earlier.id, T0 + SECOND);
        assert.deepEqual(await storage.grants.listGrantsOfUser(userId), [revoked, later]);
        assert.deepEqual(await storage.grants.listGrantsOfUser(uniqueId('nobody')), []);
      });

      it('revokeGrantsOfUserInTenant revokes the live grants of the user that include the tenant, under one revision', async () => {
        const userId = uniqueId('user');
        const both = await storage.grants.createGrant(newGrant({ userId, tenants: ['acme', 'globex'] }));
        const acmeOnly = await storage.grants.createGrant(newGrant({ userId, tenants: ['acme'] }));
        const someoneElse = await storage.grants.createGrant(newGrant({ tenants: ['globex'] }));
        const start = await revisionOf(storage);
        assert.equal(await storage.grants.revokeGrantsOfUserInTenant(userId, 'globex', T0 + SECOND), 1);
        assert.equal(await revisionOf(storage), start + 1);
        assert.deepEqual((await storage.revocations.readChanges(start, 0)).grants, [both.id]);
        assert.equal((await storage.grants.findGrant(acmeOnly.id))!.revokedAt, null);
        assert.equal((await storage.grants.findGrant(someoneElse.id))!.revokedAt, null);
        assert.equal(await storage.grants.revokeGrantsOfUserInTenant(userId, 'globex', T0 + 2 * SECOND), 0);
        assert.equal(await revisionOf(storage), start + 1, 'nothing to revoke bumps nothing');
      });

      it('revokeGrant returns undefined for an unknown grant and bumps nothing', async () => {
        const start = await revisionOf(storage);
        assert.equal(await storage.grants.revokeGrant(randomUUID(), T0), undefined);
        assert.equal(await revisionOf(storage), start);
      });

      it('a revocation that fails part-way writes nothing: no revision, the grant stays usable', async () => {
        const { grant, token } = await grantWithToken();
        const start = await revisionOf(storage);
        await installFailingGrantUpdate(storage, grant.id);
        try {
          await rejectsWith(storage.grants.revokeGrant(grant.id, T0), StorageUnavailableError);
        } finally {
          await removeFailingGrantUpdate(storage);
        }
        assert.equal(await revisionOf(storage), start);
        assert.equal((await storage.grants.findGrant(grant.id))?.revokedAt, null);
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation(token, T0 + SECOND))).status, 'rotated');
      });

      it('a follower polling while grants are revoked concurrently misses none', async () => {
        const grants = await Promise.all(Array.from({ length: 20 }, () => storage.grants.createGrant(newGrant())));
        let since = await revisionOf(storage);
        const seen = new Set<string>();
        let writing = true;
        const writers = Promise.all(grants.map((grant) => storage.grants.revokeGrant(grant.id, T0))).finally(() => {
          writing = false;
        });
        while (writing) {
          const changes = await storage.revocations.readChanges(since, 0);
          for (const id of changes.grants) seen.add(id);
          since = changes.revision;
        }
        await writers;
        for (const id of (await storage.revocations.readChanges(since, 0)).grants) seen.add(id);
        assert.deepEqual([...seen].sort(), grants.map((grant) => grant.id).sort());
      });
    });

    describe('refresh tokens', () => {
      it('createRefreshToken stores a current token; findRefreshToken round-trips every field and matches digests exactly', async () => {
        const grant = await storage.grants.createGrant(newGrant());
        const input = newToken(grant);
        const token = await storage.refreshTokens.createRefreshToken(input);
        assert.deepEqual(token, { ...input, rotatedAt: null, replacedBy: null });
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(input.tokenDigest), token);
        assert.equal(await storage.refreshTokens.findRefreshToken(input.tokenDigest.toUpperCase()), undefined);
        assert.equal(await storage.refreshTokens.findRefreshToken(randomDigest()), undefined);
      });

      it('a taken id or digest fails with ConflictError; an unknown grant with NotFoundError', async () => {
        const { grant, token } = await grantWithToken();
        await rejectsWith(storage.refreshTokens.createRefreshToken(newToken(grant, { id: token.id })), ConflictError);
        await rejectsWith(storage.refreshTokens.createRefreshToken(newToken(grant, { tokenDigest: token.tokenDigest })), ConflictError);
        const orphan = newToken(grant, { grantId: randomUUID() });
        await rejectsWith(storage.refreshTokens.createRefreshToken(orphan), NotFoundError);
        assert.equal(await storage.refreshTokens.findRefreshToken(orphan.tokenDigest), undefined);
      });

      it('rotates a current token: it is marked rotated and points at its successor, which is current', async () => {
        const { grant, token } = await grantWithToken();
        const now = T0 + DAY;
        const request = rotation(token, now);
        const outcome = await storage.refreshTokens.rotateRefreshToken(request);
        const successor: RefreshToken = {
          id: request.newToken.id,
          tokenDigest: request.newToken.tokenDigest,
          grantId: grant.id,
          clientId,
          createdAt: now,
          idleExpiresAt: now + IDLE,
          rotatedAt: null,
          replacedBy: null,
        };
        assert.deepEqual(outcome, { status: 'rotated', grant: { ...grant, lastUsedAt: now }, refreshToken: successor });
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(token.tokenDigest), { ...token, rotatedAt: now, replacedBy: successor.id });
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(successor.tokenDigest), successor);
        // The chain goes on.
        const next = await storage.refreshTokens.rotateRefreshToken(rotation(successor, now + DAY));
        assert.equal(next.status, 'rotated');
      });

      it("presenting a rotated token again answers 'reused' with its grant, and writes nothing", async () => {
        const { grant, token } = await grantWithToken();
        const first = rotation(token, T0 + SECOND);
        assert.equal((await storage.refreshTokens.rotateRefreshToken(first)).status, 'rotated');
        const start = await revisionOf(storage);
        const again = rotation(token, T0 + 2 * SECOND);
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(again), { status: 'reused', grant: { ...grant, lastUsedAt: T0 + SECOND } });
        assert.equal(await storage.refreshTokens.findRefreshToken(again.newToken.tokenDigest), undefined, 'no successor stored');
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(token.tokenDigest), { ...token, rotatedAt: T0 + SECOND, replacedBy: first.newToken.id });
        assert.equal(await revisionOf(storage), start, 'the store does not revoke: the caller does');
        assert.equal((await storage.grants.findGrant(grant.id))?.revokedAt, null);
      });

      it("within the grace window a rotated token answers 'grace' with the unused successor; after it, 'reused'", async () => {
        const { grant, token } = await grantWithToken();
        const rotatedAt = T0 + DAY;
        const first = rotation(token, rotatedAt);
        const rotated = await storage.refreshTokens.rotateRefreshToken(first);
        assert.equal(rotated.status, 'rotated');
        const successor = rotated.status === 'rotated' ? rotated.refreshToken : undefined;

        for (const now of [rotatedAt, rotatedAt + 1, rotatedAt + 10 * SECOND - 1]) {
          const retry = rotation(token, now, { graceSeconds: 10 });
          assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(retry), { status: 'grace', grant: { ...grant, lastUsedAt: rotatedAt }, replacement: successor }, `at +${now - rotatedAt} ms`);
          assert.equal(await storage.refreshTokens.findRefreshToken(retry.newToken.tokenDigest), undefined, 'grace writes nothing');
        }
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(token, rotatedAt + 10 * SECOND, { graceSeconds: 10 })), { status: 'reused', grant: { ...grant, lastUsedAt: rotatedAt } }, 'the window is open-ended');
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(token, rotatedAt + 1, { graceSeconds: 0 })), { status: 'reused', grant: { ...grant, lastUsedAt: rotatedAt } }, 'graceSeconds 0: no window');
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(successor!.tokenDigest), successor, 'the successor is untouched');
      });

      it("no grace once the successor was used: the client did receive it, so the old token is 'reused'", async () => {
        const { grant, token } = await grantWithToken();
        const first = rotation(token, T0 + SECOND);
        const rotated = await storage.refreshTokens.rotateRefreshToken(first);
        assert.equal(rotated.status, 'rotated');
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation({ tokenDigest: first.newToken.tokenDigest }, T0 + 2 * SECOND))).status, 'rotated');
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(token, T0 + 3 * SECOND, { graceSeconds: 60 })), { status: 'reused', grant: { ...grant, lastUsedAt: T0 + 2 * SECOND } });
      });

      it("answers 'unknown' for a digest never stored, and for a token presented by another client (RFC 6749 §6), writing nothing", async () => {
        const { token } = await grantWithToken();
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation({ tokenDigest: randomDigest() }, T0)), { status: 'unknown' });
        const foreign = rotation(token, T0 + SECOND, { clientId: otherClientId });
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(foreign), { status: 'unknown' });
        assert.equal(await storage.refreshTokens.findRefreshToken(foreign.newToken.tokenDigest), undefined);
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(token.tokenDigest), token, 'still current');
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation(token, T0 + 2 * SECOND))).status, 'rotated', 'its own client still rotates it');
      });

      it("answers 'expired' at and after the idle expiry, and at and after the grant's absolute expiry", async () => {
        const idle = await grantWithToken();
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(idle.token, idle.token.idleExpiresAt)), { status: 'expired' });
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(idle.token, idle.token.idleExpiresAt + DAY)), { status: 'expired' });
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation(idle.token, idle.token.idleExpiresAt - 1))).status, 'rotated', 'one millisecond before');

        const absolute = await grantWithToken(storage, { absoluteExpiresAt: T0 + DAY });
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(absolute.token, T0 + DAY)), { status: 'expired' }, 'however fresh the token');
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(absolute.token.tokenDigest), absolute.token, 'nothing written');
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation(absolute.token, T0 + DAY - 1))).status, 'rotated');
      });

      it("a revoked grant blocks rotation: 'revoked', for current and rotated tokens alike", async () => {
        const { grant, token } = await grantWithToken();
        const first = rotation(token, T0 + SECOND);
        assert.equal((await storage.refreshTokens.rotateRefreshToken(first)).status, 'rotated');
        await storage.grants.revokeGrant(grant.id, T0 + 2 * SECOND);
        const current = rotation({ tokenDigest: first.newToken.tokenDigest }, T0 + 3 * SECOND, { graceSeconds: 60 });
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(current), { status: 'revoked' });
        assert.equal(await storage.refreshTokens.findRefreshToken(current.newToken.tokenDigest), undefined);
        assert.equal((await storage.refreshTokens.findRefreshToken(first.newToken.tokenDigest))?.rotatedAt, null);
        assert.deepEqual(await storage.refreshTokens.rotateRefreshToken(rotation(token, T0 + 3 * SECOND, { graceSeconds: 60 })), { status: 'revoked' });
      });

      it('a rotation whose successor cannot be stored writes nothing: the presented token stays current', async () => {
        const { token } = await grantWithToken();
        const other = await grantWithToken();
        const clash = rotation(token, T0 + SECOND, { newToken: { id: randomUUID(), tokenDigest: other.token.tokenDigest, idleExpiresAt: T0 + IDLE } });
        await rejectsWith(storage.refreshTokens.rotateRefreshToken(clash), ConflictError);
        const clashId = rotation(token, T0 + SECOND, { newToken: { id: other.token.id, tokenDigest: randomDigest(), idleExpiresAt: T0 + IDLE } });
        await rejectsWith(storage.refreshTokens.rotateRefreshToken(clashId), ConflictError);
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(token.tokenDigest), token, 'not marked rotated');
        assert.deepEqual(await storage.refreshTokens.findRefreshToken(other.token.tokenDigest), other.token);
        assert.equal((await storage.refreshTokens.rotateRefreshToken(rotation(token, T0 + 2 * SECOND))).status, 'rotated', 'and rotates afterwards');
      });

      it("of 20 concurrent rotations of one token exactly one answers 'rotated', the others 'reused' (no grace) or 'grace' with the winner's successor", async () => {
        for (const graceSeconds of [0, 60]) {
          const { token } = await grantWithToken();
          const requests = Array.from({ length: 20 }, () => rotation(token, T0 + SECOND, { graceSeconds }));
          const outcomes = await Promise.all(requests.map((request) => storage.refreshTokens.rotateRefreshToken(request)));
          assertOneWinner(outcomes, graceSeconds);
        }
      });

      it(
        "PostgreSQL: 20 rotations queued on the token's row lock at once: exactly one 'rotated', one successor stored",
        { skip: target.name === 'postgres' ? false : 'SQLite runs one writer at a time' },
        async () => {
          for (const graceSeconds of [0, 60]) {
            const { token } = await grantWithToken();
            const requests = Array.from({ length: 20 }, () => rotation(token, T0 + SECOND, { graceSeconds }));
            const outcomes = await withRowLock(url, `select 1 from refresh_tokens where id = '${token.id}' for update`, async (waitUntilBlocked) => {
              const calls = requests.map((request) => storage.refreshTokens.rotateRefreshToken(request));
              await waitUntilBlocked(20);
              return calls;
            });
            assertOneWinner(outcomes, graceSeconds);
            const stored = await storage.db.selectFrom('refresh_tokens').select('id').where('token_digest', 'in', requests.map((request) => request.newToken.tokenDigest)).execute();
            assert.equal(stored.length, 1, 'only the winner stored a successor');
          }
        },
      );

      it(
        'PostgreSQL: two processes rotating one token at once: one rotates',
        { skip: target.name === 'postgres' ? false : 'one process holds a SQLite write lock synchronously: two storages in one process would wait on each other' },
        async () => {
          const second = main.openAnother();
          for (let round = 0; round < 5; round += 1) {
            const { token } = await grantWithToken();
            const outcomes = await Promise.all([storage, second].map((on) => on.refreshTokens.rotateRefreshToken(rotation(token, T0 + SECOND))));
            assert.deepEqual(countStatuses(outcomes), { rotated: 1, reused: 1 });
          }
        },
      );
    });

    describe('pruneExpired', () => {
      it('deletes idle-expired tokens and the tokens of absolutely expired grants; keeps rotated tokens until then, and revoked grants', async () => {
        const { storage: fresh } = await openFresh();
        const now = T0 + 10 * DAY; // before the default idle expiry (T0 + 14 days)
        const live = await grantWithToken(fresh, { absoluteExpiresAt: now + DAY });
        const idleExpired = await fresh.refreshTokens.createRefreshToken(newToken(live.grant, { idleExpiresAt: now }));
        const idleLater = await fresh.refreshTokens.createRefreshToken(newToken(live.grant, { idleExpiresAt: now + 1 }));
        const rotatedRequest = rotation(live.token, now - DAY);
        assert.equal((await fresh.refreshTokens.rotateRefreshToken(rotatedRequest)).status, 'rotated');
        const expiredGrant = await grantWithToken(fresh, { absoluteExpiresAt: now });
        const revoked = await grantWithToken(fresh, { absoluteExpiresAt: now + DAY });
        await fresh.grants.revokeGrant(revoked.grant.id, now - DAY);

        assert.equal(await fresh.refreshTokens.pruneExpired(now), 2);
        const left = (await fresh.db.selectFrom('refresh_tokens').select('id').execute()).map((row) => row.id).sort();
        assert.deepEqual(left, [live.token.id, idleLater.id, rotatedRequest.newToken.id, revoked.token.id].sort());
        assert.equal(await fresh.refreshTokens.findRefreshToken(idleExpired.tokenDigest), undefined);
        assert.equal(await fresh.refreshTokens.findRefreshToken(expiredGrant.token.tokenDigest), undefined);
        assert.deepEqual(await fresh.refreshTokens.rotateRefreshToken(rotation(live.token, now)), { status: 'reused', grant: { ...live.grant, lastUsedAt: now - DAY } }, 'reuse is still detected');
        assert.deepEqual(await fresh.grants.findGrant(expiredGrant.grant.id), expiredGrant.grant, 'grants are not pruned');
        assert.equal(await fresh.refreshTokens.pruneExpired(now), 0, 'nothing left to prune');
      });
    });

    describe('failures', () => {
      it('after close(), every code, grant and refresh token call rejects with StorageUnavailableError', async () => {
        const { storage: closed } = await openFresh();
        const { grant, token } = await grantWithToken(closed);
        await closed.close();
        const code = { codeDigest: randomDigest(), clientId, userId: 'u', redirectUri: 'https://app.example.com/callback', scope: [], tenants: [], codeChallenge: null, codeChallengeMethod: null, authTime: T0, expiresAt: T0 + 60 * SECOND };
        for (const call of [
          () => closed.codes.createCode(code),
          () => closed.codes.consumeCode(code.codeDigest, T0),
          () => closed.codes.pruneExpired(T0),
          () => closed.grants.createGrant(newGrant()),
          () => closed.grants.findGrant(grant.id),
          () => closed.grants.revokeGrant(grant.id, T0),
          () => closed.grants.revokeGrantByCode(grant.codeDigest, T0),
          () => closed.refreshTokens.createRefreshToken(newToken(grant)),
          () => closed.refreshTokens.findRefreshToken(token.tokenDigest),
          () => closed.refreshTokens.rotateRefreshToken(rotation(token, T0)),
          () => closed.refreshTokens.pruneExpired(T0),
        ]) {
          await rejectsWith(call(), StorageUnavailableError);
        }
      });
    });

    function assertOneWinner(outcomes: RotationOutcome[], graceSeconds: number): void {
      assert.deepEqual(countStatuses(outcomes), graceSeconds === 0 ? { rotated: 1, reused: 19 } : { rotated: 1, grace: 19 }, `graceSeconds ${graceSeconds}`);
      const winner = outcomes.find((outcome) => outcome.status === 'rotated');
      for (const outcome of outcomes) {
        if (outcome.status === 'grace') assert.deepEqual(outcome.replacement, winner?.status === 'rotated' ? winner.refreshToken : undefined, "the replacement is the winner's successor");
      }
    }
  });
}
