/**
 * `gatehouse grant list` and `gatehouse grant revoke`, in-process through
 * `main(argv, io)` against a fresh SQLite file. The grants and the consent are written
 * through the storage (as a code exchange and the consent page would); the HTTP effect of
 * a revocation is in test/server/user-delegated-flow.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AuditPageResource, GrantResource } from '../../packages/server/src/core/admin/resources.js';
import { openSqlStorage, type SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { randomDigest } from '../helpers/storage.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { cliJson, cliOk, runCli } from './in-process.js';

const PASSWORD = 'Tr0ub4dor&3-horse-staple';
const T0 = Date.UTC(2026, 11, 1, 12, 0);
const DAY = 24 * 60 * 60 * 1000;

describe('gatehouse grant list / revoke', () => {
  let dir: TempDir;
  let db: string[];
  let storage: SqlStorage;
  let clientId: string;
  let userId: string;
  const grantIds: string[] = [];

  before(async () => {
    dir = createTempDir('gatehouse-cli-grants-');
    db = ['--db', dir.sqliteUrl];
    await cliOk(['migrate', ...db]);
    await cliOk(['tenant', 'create', 'acme', ...db]);
    await cliOk(['user', 'create', '--tenant', 'acme', '--username', 'Alice', '--password-stdin', ...db], { input: PASSWORD });
    await cliOk(['user', 'create', '--tenant', 'acme', '--username', 'bob', '--password-stdin', ...db], { input: PASSWORD });
    const created = await cliJson<{ client_id: string }>([
      'client', 'create', '--tenant', 'acme', '--name', 'Signing App', '--public', '--grant-type', 'authorization_code',
      '--redirect-uri', 'https://app.example.com/cb', '--scope', 'documents:read', ...db,
    ]);
    clientId = created.client_id;
    storage = openSqlStorage(dir.sqliteUrl);
    userId = (await storage.users.findUserByUsername('alice'))!.id;
    for (const createdAt of [T0, T0 + DAY]) {
      const id = randomUUID();
      grantIds.push(id);
      await storage.grants.createGrant({ id, clientId, userId, codeDigest: randomDigest(), scope: ['documents:read'], tenants: ['acme'], createdAt, absoluteExpiresAt: createdAt + 90 * DAY });
    }
    await storage.consents.saveConsent({ userId, clientId, scopes: ['documents:read'], tenants: ['acme'] });
  });
  after(async () => {
    await storage?.close();
    dir.remove();
  });

  it('grant list --user prints {"items": [...]}: the user\'s grants, oldest first, with client name, tenants, scope and state', async () => {
    const listed = await cliJson<{ items: GrantResource[]; next: null }>(['grant', 'list', '--user', 'ALICE', ...db]);
    assert.deepEqual(listed.items, grantIds.map((id, i) => ({
      grant_id: id, user: 'Alice', client_id: clientId, client_name: 'Signing App', tenants: ['acme'], scope: 'documents:read',
      created_at: new Date(T0 + i * DAY).toISOString(), expires_at: new Date(T0 + i * DAY + 90 * DAY).toISOString(), revoked: false, revoked_at: null,
    })));
    assert.equal(listed.next, null);
    const text = await cliOk(['grant', 'list', '--user', 'alice', ...db]);
    assert.equal(text.stdout.trim().split('\n').length, 2);
    assert.match(text.stdout, new RegExp(`^${grantIds[0]}\\t${clientId} \\(Signing App\\)\\tacme\\tdocuments:read\\tcreated .*\\tactive$`, 'm'));
    assert.equal((await cliOk(['grant', 'list', '--user', 'bob', ...db])).stdout, 'no grants\n');
  });

  it('grant list refuses an unknown user (exit 3) and a missing --user', async () => {
    const unknown = await runCli(['grant', 'list', '--user', 'nobody', ...db]);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no user "nobody"/);
    const missing = await runCli(['grant', 'list', ...db]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--user/);
  });

  it('grant revoke revokes the grant, forgets the consent for its client, and is recorded as grant.revoke', async () => {
    const revoked = await cliJson<GrantResource & { consent_forgotten: boolean }>(['grant', 'revoke', grantIds[0]!, ...db]);
    assert.equal(revoked.grant_id, grantIds[0]);
    assert.equal(revoked.revoked, true);
    assert.ok(revoked.revoked_at);
    assert.equal(revoked.consent_forgotten, true);
    assert.ok((await storage.grants.findGrant(grantIds[0]!))!.revokedAt !== null);
    assert.equal((await storage.grants.findGrant(grantIds[1]!))!.revokedAt, null, "the user's other grant stays live");
    assert.equal(await storage.consents.findConsent(userId, clientId), undefined);

    const again = await cliOk(['grant', 'revoke', grantIds[0]!, ...db]);
    assert.equal(again.stdout, `already revoked: grant ${grantIds[0]} of client ${clientId}\n`);
    const listed = await cliJson<{ items: GrantResource[] }>(['grant', 'list', '--user', 'alice', ...db]);
    assert.deepEqual(listed.items.map((item) => item.revoked), [true, false]);

    const audit = await cliJson<AuditPageResource>(['audit', 'list', '--action', 'grant.revoke', ...db]);
    assert.deepEqual(audit.items.map((item) => [item.actor, item.tenant, item.target, item.outcome]), [
      ['cli', 'acme', grantIds[0], 'success'],
      ['cli', 'acme', grantIds[0], 'success'],
    ]);
  });

  it('grant revoke refuses a malformed id (exit 1, naming grant_id) and an unknown one (exit 3)', async () => {
    const malformed = await runCli(['grant', 'revoke', 'not-a-grant', ...db]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /grant_id must be/);
    assert.equal(malformed.stdout, '');
    const unknown = await runCli(['grant', 'revoke', randomUUID(), ...db]);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no grant/);
  });
});

describe('gatehouse user remove-tenant', () => {
  let dir: TempDir;
  let db: string[];
  let storage: SqlStorage;
  let clientId: string;

  before(async () => {
    dir = createTempDir('gatehouse-cli-remove-tenant-');
    db = ['--db', dir.sqliteUrl];
    await cliOk(['migrate', ...db]);
    await cliOk(['tenant', 'create', 'acme', ...db]);
    await cliOk(['tenant', 'create', 'globex', ...db]);
    await cliOk(['user', 'create', '--tenant', 'acme', '--username', 'carol', '--password-stdin', ...db], { input: PASSWORD });
    await cliOk(['user', 'add-tenant', 'carol', 'globex', ...db]);
    clientId = (await cliJson<{ client_id: string }>(['client', 'create', '--tenant', 'acme', '--name', 'App', '--public', '--grant-type', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb', ...db])).client_id;
    storage = openSqlStorage(dir.sqliteUrl);
  });
  after(async () => {
    await storage?.close();
    dir.remove();
  });

  it('removes the membership, revokes the grants that include the tenant, drops it from the consents; refuses the last tenant', async () => {
    const userId = (await storage.users.findUserByUsername('carol'))!.id;
    const grant = (tenants: string[]) =>
      storage.grants.createGrant({ id: randomUUID(), clientId, userId, codeDigest: randomDigest(), scope: [], tenants, createdAt: T0, absoluteExpiresAt: T0 + DAY });
    const withGlobex = await grant(['acme', 'globex']);
    const acmeOnly = await grant(['acme']);
    await storage.consents.saveConsent({ userId, clientId, scopes: [], tenants: ['acme', 'globex'] });

    const removed = await cliJson<{ username: string; tenants: string[]; revoked_grants: number }>(['user', 'remove-tenant', 'CAROL', 'globex', ...db]);
    assert.deepEqual([removed.username, removed.tenants, removed.revoked_grants], ['carol', ['acme'], 1]);
    assert.notEqual((await storage.grants.findGrant(withGlobex.id))!.revokedAt, null);
    assert.equal((await storage.grants.findGrant(acmeOnly.id))!.revokedAt, null);
    assert.deepEqual((await storage.consents.findConsent(userId, clientId))!.tenants, ['acme']);

    const again = await runCli(['user', 'remove-tenant', 'carol', 'globex', ...db]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /does not belong to tenant "globex"/);
    const last = await runCli(['user', 'remove-tenant', 'carol', 'acme', ...db]);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /last tenant of user carol: a user belongs to at least one tenant/);
    assert.equal(last.stdout, '');
    assert.equal((await storage.grants.findGrant(acmeOnly.id))!.revokedAt, null, 'a refused removal revokes nothing');

    const audit = await cliJson<AuditPageResource>(['audit', 'list', '--action', 'user.remove_tenant', ...db]);
    assert.deepEqual(audit.items.map((item) => [item.tenant, item.target, item.outcome]), [
      ['acme', 'carol', 'failure'],
      ['globex', 'carol', 'failure'],
      ['globex', 'carol', 'success'],
    ]);
  });
});
