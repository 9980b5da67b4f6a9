/**
 * A client_id that cannot name a client (empty, over 128 characters, control characters
 * such as NUL) is an unknown client: 401 invalid_client, counted as a failure, and never
 * sent to the storage (PostgreSQL refuses a NUL byte, which used to surface as a 503).
 * On SQLite always and on PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, getToken, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { FORM } from '../helpers/http.js';
import { basicAuth } from '../helpers/tokens.js';

const CHALLENGE = 'Basic realm="http://127.0.0.1:8080", charset="UTF-8"';

for (const target of STORAGE_TARGETS) {
  describe(`malformed client identifiers (${target.name})`, { skip: target.skip }, () => {
    let dir: string;
    let database: { url: string; cleanup(): Promise<void> };
    let t: TestGatehouse;
    let client: TestClient;
    let token: string;
    let lookups = 0;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-malformed-'));
      database = await target.create(dir);
      t = await createTestGatehouse({ databaseUrl: database.url, config: { throttleMaxFailuresPerAddress: 1000, throttleMaxFailuresPerClient: 1000 } });
      client = await createClient(t.gatehouse, { tenant: 'acme' });
      token = await getToken(t.app, client);
      const clients = t.gatehouse.storage.clients;
      const findClient = clients.findClient.bind(clients);
      (clients as { findClient: typeof findClient }).findClient = (clientId) => {
        lookups += 1;
        return findClient(clientId);
      };
    });

    after(async () => {
      await t?.close();
      await database?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const post = (url: string, payload: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
      t.app.inject({ method: 'POST', url, remoteAddress, headers: { 'content-type': FORM, ...headers }, payload });

    const rawBasic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

    const cases: [string, string | (() => string), Record<string, string>][] = [
      ['client_id=%00 with client_secret_post', `grant_type=client_credentials&client_id=%00&client_secret=${'x'.repeat(10)}`, {}],
      ['client_id=%00 alone (a public client would look like this)', 'grant_type=client_credentials&client_id=%00', {}],
      ['a NUL after a real client_id', () => `grant_type=client_credentials&client_id=${client.clientId}%00&client_secret=${client.secret}`, {}],
      ['a NUL in form-urlencoded Basic credentials', 'grant_type=client_credentials', { authorization: basicAuth('\u0000', 'secret') }],
      ['a raw NUL byte in Basic credentials', 'grant_type=client_credentials', { authorization: rawBasic('ab\u0000cd:secret') }],
      ['another control character (U+0085) in Basic credentials', 'grant_type=client_credentials', { authorization: rawBasic('ab\u0085cd:secret') }],
      ['a client_id of 129 characters', `grant_type=client_credentials&client_id=${'a'.repeat(129)}&client_secret=x`, {}],
      ['an empty client_id in Basic credentials', 'grant_type=client_credentials', { authorization: rawBasic(':secret') }],
    ];

    for (const [label, payload, headers] of cases) {
      it(`POST /oauth/token with ${label}: 401 invalid_client, no storage lookup`, async () => {
        const before = lookups;
        const response = await post('/oauth/token', typeof payload === 'function' ? payload() : payload, headers);
        assert.equal(response.statusCode, 401, `${response.statusCode} ${response.body}`);
        assert.equal(response.json().error, 'invalid_client');
        assert.equal(response.headers['www-authenticate'], CHALLENGE);
        assert.equal(lookups, before, 'the storage was not asked');
      });
    }

    it('the same at /oauth/introspect and /oauth/revoke: 401, never 503', async () => {
      for (const url of ['/oauth/introspect', '/oauth/revoke']) {
        for (const [payload, headers] of [
          [`token=${token}&client_id=%00&client_secret=x`, {}],
          [`token=${token}`, { authorization: basicAuth('\u0000', 'x') }],
        ] as const) {
          const response = await post(url, payload, headers);
          assert.equal(response.statusCode, 401, `${url}: ${response.statusCode} ${response.body}`);
          assert.equal(response.json().error, 'invalid_client');
        }
      }
      assert.equal((await getToken(t.app, client)).length > 0, true, 'the server is fine afterwards');
    });

    it('a well-formed client_id of 128 characters is looked up (and unknown)', async () => {
      const before = lookups;
      const response = await post('/oauth/token', `grant_type=client_credentials&client_id=${'a'.repeat(128)}&client_secret=x`);
      assert.equal(response.statusCode, 401);
      assert.equal(lookups, before + 1);
    });

    it('counts malformed identifiers as failures of the address', async () => {
      const strict = await createTestGatehouse({ databaseUrl: database.url, config: { throttleMaxFailuresPerAddress: 2, masterKeyFile: t.config.masterKeyFile } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) {
          const response = await strict.app.inject({
            method: 'POST',
            url: '/oauth/token',
            remoteAddress: '192.0.2.44',
            headers: { 'content-type': FORM },
            payload: 'grant_type=client_credentials&client_id=%00&client_secret=x',
          });
          statuses.push(response.statusCode);
        }
        assert.deepEqual(statuses, [401, 401, 429]);
      } finally {
        await strict.close();
      }
    });
  });
}
