/**
 * Security events in the audit log, through the real app (fastify.inject): refresh-token
 * reuse, code replay and a burst of failed client authentications crossing the throttle
 * limit (recorded once, not per refused request); and `gatehouse serve` logging each
 * event as one JSON line (message "audit"), never with a secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import type { AuditEvent } from '../../packages/server/src/core/storage.js';
import { startServer } from '../../packages/server/src/server/serve.js';
import { createClient, createTestGatehouse, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/tokens.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from '../helpers/user-delegation.js';

const withRefresh = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] };

describe('security events in the audit log', () => {
  let t: TestGatehouse;
  let client: TestClient;
  let userId: string;

  before(async () => {
    t = await createTestGatehouse({ config: { throttleMaxFailuresPerClient: 3, throttleMaxFailuresPerAddress: 100 } });
    client = await createClient(t.gatehouse, { tenant: 'acme', name: 'Signing app', ...withRefresh });
    userId = (await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' })).id;
  });
  after(() => t.close());

  const eventsOf = async (action: string): Promise<AuditEvent[]> => (await t.gatehouse.audit.list({ action, limit: 100 })).events;

  async function authorize(): Promise<{ code: string; tokens: TokenPair; verifier: string | undefined }> {
    const { code, verifier } = await issueCode(t.gatehouse, { clientId: client.clientId, userId, tenants: ['acme'] });
    const response = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(response.statusCode, 200, response.body);
    return { code, verifier, tokens: response.json() as TokenPair };
  }

  it('records a rotated refresh token presented again: the client, its tenant and the revoked grant', async () => {
    const { tokens } = await authorize();
    assert.equal((await refresh(t.app, client, tokens.refresh_token)).statusCode, 200);
    assert.deepEqual(await eventsOf('refresh_token.reuse'), []);
    assert.equal((await refresh(t.app, client, tokens.refresh_token)).statusCode, 400);
    const [event, ...more] = await eventsOf('refresh_token.reuse');
    assert.equal(more.length, 0);
    assert.deepEqual([event!.actor, event!.tenant, event!.outcome], [client.clientId, 'acme', 'revoked']);
    assert.equal(event!.details.grant, event!.target);
    assert.ok(!JSON.stringify(event).includes(tokens.refresh_token), 'never the token');
  });

  it('records a replayed authorization code and the grant it revoked', async () => {
    const { code, verifier, tokens } = await authorize();
    const replay = await exchangeCode(t.app, client, code, { code_verifier: verifier });
    assert.equal(replay.statusCode, 400);
    const [event, ...more] = await eventsOf('authorization_code.replay');
    assert.equal(more.length, 0);
    assert.deepEqual([event!.actor, event!.tenant, event!.outcome], [client.clientId, 'acme', 'revoked']);
    assert.ok(event!.target);
    const serialized = JSON.stringify(event);
    assert.ok(!serialized.includes(code) && !serialized.includes(tokens.refresh_token), 'never the code or a token');
  });

  it('records a burst of failed client authentications once, when it first crosses the limit, never with the presented secret', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, `wrong-secret-${attempt}`) });
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
    const events = await eventsOf('client_auth.throttled');
    assert.deepEqual(
      events.map((e) => [e.actor, e.target, e.outcome, e.details.limit]),
      [[client.clientId, `client:${client.clientId}`, 'refused', 3]],
    );
    assert.ok(!JSON.stringify(events).includes('wrong-secret'));
  });

  it('lists the events of a tenant only under its own filter', async () => {
    assert.ok((await t.gatehouse.audit.list({ tenant: 'acme', limit: 100 })).events.length > 0);
    assert.deepEqual((await t.gatehouse.audit.list({ tenant: 'globex', limit: 100 })).events, []);
  });
});

describe('gatehouse serve logs audit events', () => {
  it('writes each event as one JSON line with the message "audit" and the fixed fields, never a secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-audit-'));
    const lines: Record<string, unknown>[] = [];
    const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, dataDir: dir, host: '127.0.0.1', port: 0, issuer: 'https://auth.example.com' });
    const server = await startServer(config, { env: {}, logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } } });
    try {
      const created = await createClient(server.gatehouse, { tenant: 'acme' });
      await server.gatehouse.admin.clients.rotateSecret(created.clientId);
      const audit = lines.filter((line) => line.msg === 'audit').map((line) => line.audit as Record<string, unknown>);
      assert.deepEqual(
        audit.map((event) => [event.actor, event.action, event.outcome]),
        [
          ['system', 'key.rotate', 'success'],
          ['cli', 'tenant.create', 'success'],
          ['cli', 'client.create', 'success'],
          ['cli', 'client.rotate_secret', 'success'],
        ],
      );
      for (const event of audit) assert.deepEqual(Object.keys(event), ['time', 'actor', 'tenant', 'action', 'target', 'outcome', 'details']);
      assert.equal(audit[2]!.target, created.clientId);
      assert.ok(!JSON.stringify(lines).includes('gatehouse_secret_'), 'no secret in the log');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
