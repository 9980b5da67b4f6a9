import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConflictError } from '../../packages/server/src/core/errors.js';
import type { NewClient } from '../../packages/server/src/core/storage.js';
import { Migrator, sql } from 'kysely';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { migrationProvider } from '../../packages/server/src/store/sql/migrations/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, uniqueId, type FreshStorage } from '../helpers/storage.js';

const NOW_S = 1_800_000_000;

for (const target of STORAGE_TARGETS) {
  describe(`revocation feed contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;
    let tenantId: string;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'feed' });
      storage = fresh.storage;
      tenantId = (await storage.tenants.createTenant({ slug: 'acme', name: 'Acme', accessTokenTtl: null })).id;
    });
    after(() => fresh?.close());

    const newClient = (): NewClient => ({
      id: uniqueId('client'),
      tenantId,
      name: 'c',
      isPublic: false,
      secretDigest: `d-${randomBytes(4).toString('hex')}`,
      grantTypes: ['client_credentials'],
      scopes: [],
      defaultScopes: [],
      redirectUris: [],
      accessTokenTtl: null,
      resourceServer: false,
    });
    const revision = async () => (await storage.revocations.readChanges(Number.MAX_SAFE_INTEGER, 0)).revision;

    it('starts with nothing revoked', async () => {
      assert.deepEqual(await storage.revocations.readChanges(0, 0), { revision: 1, clients: [], tokens: [], withdrawn_keys: [], grants: [] });
    });

    it('hands revocations made before the feed migration to a follower starting from 0', async () => {
      const unmigrated = await openFreshStorage(target, { prefix: 'feed', migrate: false });
      const old = unmigrated.storage;
      try {
        // The schema as it was before the feed existed.
        const migrator = new Migrator({ db: old.db, provider: migrationProvider });
        const { error } = await migrator.migrateTo('2026-11-23T00-00-initial');
        assert.equal(error, undefined);
        const now = Date.now();
        await old.db.insertInto('tenants').values({ id: 't1', slug: 'old', name: 'Old', access_token_ttl: null, created_at: now }).execute();
        await sql`insert into clients (id, tenant_id, name, is_public, secret_digest, previous_secret_digest, previous_secret_expires_at, grant_types, scopes, default_scopes, redirect_uris, access_token_ttl, disabled, revocation_epoch, created_at, updated_at)
                  values ('old-client', 't1', 'c', 0, 'd', null, null, 'client_credentials', '', '', '[]', null, 1, 2, ${now}, ${now})`.execute(old.db);
        await sql`insert into revoked_access_tokens (jti, client_id, expires_at_s) values ('old-jti', 'old-client', ${NOW_S + 60})`.execute(old.db);
        await old.migrate();
        const changes = await old.revocations.readChanges(0, NOW_S);
        assert.deepEqual(changes.clients, [{ client_id: 'old-client', epoch: 2 }]);
        assert.deepEqual(changes.tokens, [{ jti: 'old-jti', client_id: 'old-client', exp: NOW_S + 60 }]);
        assert.ok(changes.revision >= 1);
      } finally {
        await unmigrated.close();
      }
    });

    it('each revocation bumps the revision once and is listed after the revision before it only', async () => {
      const client = await storage.clients.createClient(newClient());
      const start = await revision();
      await storage.revocations.revokeAccessToken({ jti: 'j1', clientId: client.id, expiresAt: NOW_S + 60 });
      assert.equal(await revision(), start + 1);
      await storage.clients.updateClientSecret(client.id, { expectedSecretDigest: client.secretDigest!, secretDigest: 'd2', previousSecretDigest: null, previousSecretExpiresAt: null, revokeTokens: true });
      assert.equal(await revision(), start + 2);
      const changes = await storage.revocations.readChanges(start, NOW_S);
      assert.equal(changes.revision, start + 2);
      assert.deepEqual(changes.tokens, [{ jti: 'j1', client_id: client.id, exp: NOW_S + 60 }]);
      assert.deepEqual(changes.clients, [{ client_id: client.id, epoch: 1 }]);
      const later = await storage.revocations.readChanges(start + 1, NOW_S);
      assert.deepEqual(later.tokens, [], 'the token revocation is at or below since');
      assert.deepEqual(later.clients, [{ client_id: client.id, epoch: 1 }]);
    });

    it('writes nothing that needs a revision when no token is revoked', async () => {
      const client = await storage.clients.createClient(newClient());
      const start = await revision();
      await storage.clients.updateClientSecret(client.id, { expectedSecretDigest: client.secretDigest!, secretDigest: 'g', previousSecretDigest: client.secretDigest, previousSecretExpiresAt: 1, revokeTokens: false });
      await storage.clients.setClientDisabled(client.id, false);
      assert.equal(await revision(), start);
    });

    it('a rotation that loses its compare-and-set leaves the revision alone', async () => {
      const client = await storage.clients.createClient(newClient());
      const start = await revision();
      await assert.rejects(
        storage.clients.updateClientSecret(client.id, { expectedSecretDigest: 'stale', secretDigest: 'x', previousSecretDigest: null, previousSecretExpiresAt: null, revokeTokens: true }),
        ConflictError,
      );
      assert.equal(await revision(), start);
    });

    it('leaves out deny-list entries of tokens expired before the cut-off', async () => {
      const client = await storage.clients.createClient(newClient());
      const start = await revision();
      await storage.revocations.revokeAccessToken({ jti: 'old', clientId: client.id, expiresAt: NOW_S - 10 });
      await storage.revocations.revokeAccessToken({ jti: 'fresh', clientId: client.id, expiresAt: NOW_S + 10 });
      const changes = await storage.revocations.readChanges(start, NOW_S);
      assert.deepEqual(changes.tokens.map((entry) => entry.jti), ['fresh']);
      assert.equal(changes.revision, start + 2);
    });

    it('a follower polling while revocations are written concurrently misses none', async () => {
      const client = await storage.clients.createClient(newClient());
      let since = await revision();
      const seen = new Set<string>();
      const jtis = Array.from({ length: 40 }, (_, i) => `race-${i}-${randomBytes(3).toString('hex')}`);
      let writing = true;
      const writers = Promise.all(jtis.map((jti) => storage.revocations.revokeAccessToken({ jti, clientId: client.id, expiresAt: NOW_S + 60 }))).finally(() => {
        writing = false;
      });
      while (writing) {
        const changes = await storage.revocations.readChanges(since, NOW_S);
        for (const entry of changes.tokens) seen.add(entry.jti);
        since = changes.revision;
      }
      await writers;
      const last = await storage.revocations.readChanges(since, NOW_S);
      for (const entry of last.tokens) seen.add(entry.jti);
      assert.deepEqual([...seen].filter((jti) => jti.startsWith('race-')).sort(), [...jtis].sort());
    });
  });
}
