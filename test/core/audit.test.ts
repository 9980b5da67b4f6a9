/**
 * The audit service (src/core/audit.ts) and the admin actions it records: every event goes
 * to the store and, as one JSON object with fixed field names, to the log sink; a store
 * failure neither loses the event nor fails the action; no event ever holds a secret,
 * token or password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdminServices, type AdminServices } from '../../packages/server/src/core/admin/index.js';
import { AuditService, parseSince, type AuditLogLine } from '../../packages/server/src/core/audit.js';
import { configFromEnv, loadConfig } from '../../packages/server/src/core/config.js';
import { StorageUnavailableError, ValidationError } from '../../packages/server/src/core/errors.js';
import type { AuditEvent, AuditStore } from '../../packages/server/src/core/storage.js';
import { SQLITE_TARGET } from '../helpers/postgres.js';
import { openFreshStorage, type FreshStorage } from '../helpers/storage.js';

const T0 = Date.UTC(2026, 11, 1, 12);
const PASSWORD = 'Correct-Horse-Battery-9';

/** An in-memory store that can be made to fail. */
function memoryStore(): AuditStore & { events: AuditEvent[]; failing: boolean } {
  const events: AuditEvent[] = [];
  return {
    events,
    failing: false,
    async appendAuditEvent(event) {
      if (this.failing) throw new StorageUnavailableError(new Error('disk full'));
      events.push(event);
    },
    async listAuditEvents(query) {
      return { events: events.filter((e) => query.tenant === undefined || e.tenant === query.tenant).slice(0, query.limit), next: null };
    },
    async pruneAuditEvents(before) {
      return before;
    },
  };
}

describe('AuditService', () => {
  it('stores each event and logs it once, with the fixed field names time, actor, tenant, action, target, outcome and details', async () => {
    const store = memoryStore();
    const lines: [AuditLogLine, unknown][] = [];
    const audit = new AuditService({ store, sink: (line, failure) => lines.push([line, failure]), clock: () => T0 });
    await audit.record({ actor: 'cli', tenant: 'acme', action: 'client.rotate_secret', target: 'c1', outcome: 'success', details: { graceSeconds: 60 } });
    assert.equal(store.events.length, 1);
    assert.equal(store.events[0]!.time, T0);
    assert.deepEqual(lines, [
      [{ time: new Date(T0).toISOString(), actor: 'cli', tenant: 'acme', action: 'client.rotate_secret', target: 'c1', outcome: 'success', details: { grace_seconds: 60 } }, undefined],
    ]);
  });

  it('when the store refuses an event, logs it with the failure and still resolves (the action is not failed after the fact)', async () => {
    const store = memoryStore();
    store.failing = true;
    const lines: [AuditLogLine, { error: unknown } | undefined][] = [];
    const audit = new AuditService({ store, sink: (line, failure) => lines.push([line, failure]), clock: () => T0 });
    await audit.record({ actor: 'cli', tenant: null, action: 'key.rotate', target: 'k1', outcome: 'success' });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]![0].action, 'key.rotate');
    assert.ok(lines[0]![1]?.error instanceof StorageUnavailableError);
  });

  it('gives events recorded in one millisecond ids that sort in recording order', async () => {
    const store = memoryStore();
    const audit = new AuditService({ store, sink: () => {}, clock: () => T0 });
    for (let i = 0; i < 20; i += 1) await audit.record({ actor: 'cli', tenant: null, action: 'key.rotate', target: String(i), outcome: 'success' });
    const ids = store.events.map((e) => e.id);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('refuses a limit out of range and an unknown action, naming the allowed values', async () => {
    const audit = new AuditService({ store: memoryStore(), sink: () => {} });
    assert.throws(() => audit.list({ limit: 0 }), (error) => error instanceof ValidationError && /invalid limit 0: use 1 to 1000/.test(error.message));
    assert.throws(() => audit.list({ action: 'client.explode', limit: 10 }), (error) => error instanceof ValidationError && /unknown audit action "client.explode": use one of tenant.create, /.test(error.message));
  });

  it('keeps events for auditRetention (GATEHOUSE_AUDIT_RETENTION, a duration, default 90d, at least 1d) and prunes the older ones', async () => {
    assert.equal(loadConfig({}).auditRetention, 90 * 86_400);
    assert.equal(loadConfig(configFromEnv({ GATEHOUSE_AUDIT_RETENTION: '30d' })).auditRetention, 30 * 86_400);
    assert.throws(() => loadConfig(configFromEnv({ GATEHOUSE_AUDIT_RETENTION: '1h' })), /auditRetention/);
    const store = memoryStore();
    let prunedBefore: number | undefined;
    store.pruneAuditEvents = async (before) => ((prunedBefore = before), 0);
    await new AuditService({ store, sink: () => {} }).prune(T0, 7 * 86_400);
    assert.equal(prunedBefore, T0 - 7 * 86_400_000);
  });

  it('reads --since as a duration back from now or an ISO 8601 time, and names the flag when it is neither', () => {
    assert.equal(parseSince('24h', T0), T0 - 86_400_000);
    assert.equal(parseSince('2026-12-01T00:00:00Z', T0), Date.UTC(2026, 11, 1));
    assert.throws(() => parseSince('yesterday', T0), (error) => error instanceof ValidationError && /invalid --since "yesterday"/.test(error.message));
  });
});

describe('admin actions in the audit log', () => {
  let fresh: FreshStorage;
  let admin: AdminServices;
  let audit: AuditService;
  const lines: AuditLogLine[] = [];

  before(async () => {
    fresh = await openFreshStorage(SQLITE_TARGET, { prefix: 'audit-admin' });
    audit = new AuditService({ store: fresh.storage.audit, sink: (line) => lines.push(line) });
    admin = createAdminServices({
      storage: fresh.storage,
      digestKey: Buffer.alloc(32, 1),
      keyEncryptionKey: Buffer.alloc(32, 2),
      config: loadConfig({}),
      audit,
      actor: 'ops-alice',
    });
  });
  after(() => fresh?.close());

  const newest = async () => (await audit.list({ limit: 1 })).events[0]!;

  it('records every action with its actor, tenant, target and outcome, newest first', async () => {
    await admin.tenants.create({ slug: 'acme', name: 'Acme' });
    assert.deepEqual({ ...(await newest()), id: '', time: 0 }, { id: '', time: 0, actor: 'ops-alice', tenant: 'acme', action: 'tenant.create', target: 'acme', outcome: 'success', details: { name: 'Acme' } });
    await admin.scopes.create({ tenant: 'acme', name: 'documents:read', description: 'Read documents' });
    assert.deepEqual({ ...(await newest()), id: '', time: 0 }, { id: '', time: 0, actor: 'ops-alice', tenant: 'acme', action: 'scope.create', target: 'documents:read', outcome: 'success', details: {} });
    const { client } = await admin.clients.create({ tenant: 'acme', name: 'Backend', scope: 'documents:read' });
    await admin.clients.disable(client.id);
    await admin.clients.enable(client.id);
    const key = await admin.keys.rotate('ES256');
    await admin.keys.rotate();
    await admin.keys.withdraw(key.kid);
    const actions = (await audit.list({ limit: 100 })).events.map((e) => `${e.action} ${e.target}`);
    assert.deepEqual(actions.slice(0, 6), [`key.withdraw ${key.kid}`, actions[1], `key.rotate ${key.kid}`, `client.enable ${client.id}`, `client.disable ${client.id}`, `client.create ${client.id}`]);
    const disabled = (await audit.list({ action: 'client.disable', limit: 1 })).events[0]!;
    assert.equal(disabled.tenant, 'acme', 'a client action names the client\'s tenant');
  });

  it('records a failed action as a failure with the kind of error, and rethrows it', async () => {
    await assert.rejects(admin.keys.withdraw('no-such-kid'), /no signing key/);
    const event = await newest();
    assert.deepEqual([event.action, event.target, event.outcome, event.details], ['key.withdraw', 'no-such-kid', 'failure', { error: 'NotFoundError' }]);
  });

  it('client create and rotate-secret events hold no secret; user create and set-password none of the password', async () => {
    const created = await admin.clients.create({ tenant: 'acme', name: 'Secretive' });
    const rotated = await admin.clients.rotateSecret(created.client.id, { graceSeconds: 60 });
    await admin.clients.rotateSecret(created.client.id);
    await admin.users.create({ tenant: 'acme', username: 'bob', password: PASSWORD });
    await admin.users.setPassword('bob', `${PASSWORD}-2`);
    await assert.rejects(admin.users.setPassword('bob', 'short'), ValidationError);
    await admin.users.disable('bob');
    const everything = JSON.stringify([(await audit.list({ limit: 1000 })).events, lines]);
    for (const secret of [created.secret!, rotated.secret, 'gatehouse_secret_', PASSWORD, 'short']) assert.ok(!everything.includes(secret), `no ${secret.slice(0, 20)}… in the audit log`);
    const rotation = (await audit.list({ action: 'client.rotate_secret', limit: 2 })).events;
    assert.deepEqual(rotation.map((e) => e.details), [{ graceSeconds: 0 }, { graceSeconds: 60 }]);
    assert.deepEqual((await audit.list({ actor: 'ops-alice', action: 'user.set_password', limit: 5 })).events.map((e) => [e.target, e.outcome]), [
      ['bob', 'failure'],
      ['bob', 'success'],
    ]);
  });

  it('logs each event as one line, the same as the stored one', async () => {
    const stored = await newest();
    assert.deepEqual(lines.at(-1), { time: new Date(stored.time).toISOString(), actor: stored.actor, tenant: stored.tenant, action: stored.action, target: stored.target, outcome: stored.outcome, details: {} });
  });
});
