/**
 * Issue 16 (Medium): a resource-server client introspects every tenant's tokens and reads
 * the deployment-wide revocation feed, so registering one is an operator's action on every
 * surface. A tenant admin (an admin API token of its tenant, a dashboard account) is
 * refused with 403 and a message that says why, nothing is created, and the attempt is in
 * the audit log; an operator's registration is recorded with `resourceServer: true`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../packages/server/src/core/storage.js';
import { signInToDashboard, type DashboardAdmin } from '../helpers/dashboard.js';
import { createTestGatehouse, postForm, type TestGatehouse } from '../helpers/gatehouse.js';
import { SQLITE_TARGET } from '../helpers/postgres.js';
import { assertProblem, openAdminApi, unique, V1, type AdminApiFixture } from '../server/admin-api/helpers.js';

const PASSWORD = 'dashboard-password-1';

async function clientCreations(t: TestGatehouse, actor: string): Promise<AuditEvent[]> {
  return (await t.gatehouse.storage.audit.listAuditEvents({ action: 'client.create', actor, limit: 100 })).events;
}

describe('registering a resource server is for operators: admin API (issue 16)', () => {
  let f: AdminApiFixture;

  before(async () => {
    f = await openAdminApi(SQLITE_TARGET);
  });
  after(() => f.close());

  it("a tenant admin's token gets 403 with the reason, creates nothing, and the refusal is audited", async () => {
    const name = unique('Sneaky RS');
    const response = await f.call(f.tokens.acme, 'POST', `${V1}/tenants/acme/clients`, { name, resource_server: true });
    const problem = assertProblem(response, 403);
    assert.match(String(problem.detail), /resource server.*reserved to operators/);
    assert.ok(!(await f.t.gatehouse.admin.clients.list('acme')).some((client) => client.name === name), 'no client was created');
    const [event] = await clientCreations(f.t, f.acmeAdmin.clientId);
    assert.deepEqual(
      event && { outcome: event.outcome, tenant: event.tenant, details: event.details },
      { outcome: 'failure', tenant: 'acme', details: { resourceServer: true, error: 'ForbiddenError' } },
    );
  });

  it("an operator's token registers one; the audit event says it is a resource server", async () => {
    const response = await f.call(f.tokens.operator, 'POST', `${V1}/tenants/acme/clients`, { name: unique('Document API'), resource_server: true });
    assert.equal(response.statusCode, 201, response.body);
    const created = response.json() as { client_id: string; resource_server: boolean };
    assert.equal(created.resource_server, true);
    const event = (await clientCreations(f.t, f.operator.clientId)).find((candidate) => candidate.target === created.client_id);
    assert.deepEqual(event && [event.outcome, event.details.resourceServer], ['success', true]);
  });
});

describe('registering a resource server is for operators: dashboard (issue 16)', () => {
  let t: TestGatehouse;
  let operator: DashboardAdmin;
  let tom: DashboardAdmin;

  before(async () => {
    t = await createTestGatehouse();
    await t.gatehouse.admin.tenants.create({ slug: 'acme', name: 'Acme' });
    await t.gatehouse.admin.accounts.create({ tenant: null, username: 'olivia', password: PASSWORD });
    await t.gatehouse.admin.accounts.create({ tenant: 'acme', username: 'tom', password: PASSWORD });
    operator = await signInToDashboard(t, 'olivia', PASSWORD);
    tom = await signInToDashboard(t, 'tom', PASSWORD);
  });
  after(() => t.close());

  const newClientForm = (admin: DashboardAdmin) => t.app.inject({ method: 'GET', url: '/admin/tenants/acme/clients/new', headers: { cookie: admin.cookie } });
  const submit = (admin: DashboardAdmin, name: string) =>
    postForm(t.app, '/admin/tenants/acme/clients/new', new URLSearchParams({ csrf_token: admin.csrf, name, client_type: 'confidential', grant_type: 'client_credentials', resource_server: 'on' }).toString(), { cookie: admin.cookie });

  it('the New client form offers "resource server" to operators only', async () => {
    assert.match((await newClientForm(operator)).body, /name="resource_server"/);
    const form = await newClientForm(tom);
    assert.equal(form.statusCode, 200);
    assert.doesNotMatch(form.body, /resource_server/);
  });

  it('a tenant admin who sends the field anyway gets 403 with the reason; nothing is created; the refusal is audited', async () => {
    const response = await submit(tom, 'Sneaky RS');
    assert.equal(response.statusCode, 403, response.body);
    assert.match(response.body, /resource server.*reserved to operators/);
    assert.deepEqual((await t.gatehouse.admin.clients.list('acme')).map((client) => client.name), []);
    const [event] = await clientCreations(t, 'tom');
    assert.deepEqual(event && [event.outcome, event.tenant, event.details], ['failure', 'acme', { resourceServer: true, error: 'ForbiddenError' }]);
  });

  it('an operator registers one from the form', async () => {
    const response = await submit(operator, 'Document API');
    assert.equal(response.statusCode, 200, response.body);
    const [client] = await t.gatehouse.admin.clients.list('acme');
    assert.deepEqual(client && [client.name, client.resourceServer], ['Document API', true]);
    const [event] = await clientCreations(t, 'olivia');
    assert.deepEqual(event && [event.outcome, event.target, event.details.resourceServer], ['success', client!.id, true]);
  });
});
