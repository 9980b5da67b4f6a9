/**
 * The AuditStore contract (src/core/storage/audit.ts), against every backend in
 * STORAGE_TARGETS: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, ValidationError } from '../../packages/server/src/core/errors.js';
import type { AuditEvent } from '../../packages/server/src/core/storage.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { openFreshStorage, uniqueId, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 0, 1);

function event(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    id: uniqueId('ev'),
    time: T0,
    actor: 'cli',
    tenant: 'acme',
    action: 'client.create',
    target: 'c1',
    outcome: 'success',
    details: {},
    ...overrides,
  };
}

for (const target of STORAGE_TARGETS) {
  describe(`audit store contract (${target.name})`, { skip: target.skip }, () => {
    let fresh: FreshStorage;
    let storage: SqlStorage;

    before(async () => {
      fresh = await openFreshStorage(target, { prefix: 'audit' });
      storage = fresh.storage;
    });
    after(() => fresh?.close());

    it('appends an event and reads it back whole; a duplicate id is a ConflictError', async () => {
      const stored = event({ tenant: 'solo', details: { name: 'App', grantTypes: ['client_credentials'], graceSeconds: 0, public: false } });
      await storage.audit.appendAuditEvent(stored);
      assert.deepEqual((await storage.audit.listAuditEvents({ tenant: 'solo', limit: 10 })).events, [stored]);
      await assert.rejects(storage.audit.appendAuditEvent(stored), ConflictError);
    });

    it('created in tenant A, invisible from a tenant-B filter', async () => {
      const inA = event({ tenant: 'tenant-a', time: T0 + 1 });
      await storage.audit.appendAuditEvent(inA);
      assert.deepEqual((await storage.audit.listAuditEvents({ tenant: 'tenant-a', limit: 10 })).events, [inA]);
      assert.deepEqual((await storage.audit.listAuditEvents({ tenant: 'tenant-b', limit: 10 })).events, []);
    });

    it('lists newest first and filters by action, actor and time', async () => {
      const tenant = 'filters';
      const old = event({ tenant, time: T0 + 10, action: 'user.create', actor: 'cli' });
      const middle = event({ tenant, time: T0 + 20, action: 'client.disable', actor: 'ops' });
      const recent = event({ tenant, time: T0 + 30, action: 'client.disable', actor: 'cli' });
      for (const e of [middle, recent, old]) await storage.audit.appendAuditEvent(e);
      const ids = async (query: Parameters<SqlStorage['audit']['listAuditEvents']>[0]) => (await storage.audit.listAuditEvents(query)).events.map((e) => e.id);
      assert.deepEqual(await ids({ tenant, limit: 10 }), [recent.id, middle.id, old.id]);
      assert.deepEqual(await ids({ tenant, action: 'client.disable', limit: 10 }), [recent.id, middle.id]);
      assert.deepEqual(await ids({ tenant, actor: 'cli', limit: 10 }), [recent.id, old.id]);
      assert.deepEqual(await ids({ tenant, since: T0 + 20, limit: 10 }), [recent.id, middle.id]);
    });

    it('pages with an opaque cursor, newest first, unaffected by events appended meanwhile; refuses a forged cursor', async () => {
      const tenant = 'paging';
      const events = Array.from({ length: 5 }, (_, i) => event({ tenant, time: T0 + 100 + Math.floor(i / 2), id: `p-${i}` }));
      for (const e of events) await storage.audit.appendAuditEvent(e);
      const expected = [...events].sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1)).map((e) => e.id);
      const first = await storage.audit.listAuditEvents({ tenant, limit: 2 });
      assert.equal(first.events.length, 2);
      assert.ok(first.next);
      await storage.audit.appendAuditEvent(event({ tenant, time: T0 + 999 }));
      const second = await storage.audit.listAuditEvents({ tenant, limit: 2, cursor: first.next });
      const third = await storage.audit.listAuditEvents({ tenant, limit: 2, cursor: second.next! });
      assert.deepEqual([...first.events, ...second.events, ...third.events].map((e) => e.id), expected);
      assert.equal(third.next, null);
      await assert.rejects(storage.audit.listAuditEvents({ limit: 2, cursor: 'not-a-cursor' }), ValidationError);
    });

    it('prunes the events older than a time and keeps the rest', async () => {
      const tenant = 'prune';
      const old = event({ tenant, time: T0 - 10_000 });
      const young = event({ tenant, time: T0 + 10_000 });
      await storage.audit.appendAuditEvent(old);
      await storage.audit.appendAuditEvent(young);
      assert.ok((await storage.audit.pruneAuditEvents(T0 - 5_000)) >= 1);
      assert.deepEqual((await storage.audit.listAuditEvents({ tenant, limit: 10 })).events.map((e) => e.id), [young.id]);
      assert.equal(await storage.audit.pruneAuditEvents(T0 - 5_000), 0);
    });
  });
}
