import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createTestGatehouse, getToken, introspect, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';

describe('client secret rotation', () => {
  let t: TestGatehouse;
  let resourceServer: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    resourceServer = await createClient(t.gatehouse, { tenant: 'acme', name: 'Resource server' });
  });
  after(() => t.close());

  const tokenStatus = async (clientId: string, secret: string) =>
    (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) })).statusCode;

  it('without grace: the old secret stops at once and every earlier token is revoked', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const earlier = await getToken(t.app, client);
    assert.equal((await introspect(t.app, resourceServer, earlier)).active, true);

    const rotated = await t.gatehouse.admin.clients.rotateSecret(client.clientId);
    assert.notEqual(rotated.secret, client.secret);
    assert.equal(rotated.previousSecretExpiresAt, null);

    assert.equal(await tokenStatus(client.clientId, client.secret), 401);
    assert.deepEqual(await introspect(t.app, resourceServer, earlier), { active: false });
    // A token minted right after the rotation (same second) with the new secret is valid.
    const fresh = await getToken(t.app, { ...client, secret: rotated.secret });
    assert.equal((await introspect(t.app, resourceServer, fresh)).active, true);
  });

  it('with grace: both secrets work until the grace ends, and earlier tokens stay valid', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const earlier = await getToken(t.app, client);
    const rotated = await t.gatehouse.admin.clients.rotateSecret(client.clientId, { graceSeconds: 2 });
    assert.ok(rotated.previousSecretExpiresAt! > Date.now());

    assert.equal(await tokenStatus(client.clientId, client.secret), 200);
    assert.equal(await tokenStatus(client.clientId, rotated.secret), 200);
    assert.equal((await introspect(t.app, resourceServer, earlier)).active, true);

    await sleep(2100);
    assert.equal(await tokenStatus(client.clientId, client.secret), 401, 'the old secret expires with the grace');
    assert.equal(await tokenStatus(client.clientId, rotated.secret), 200);
    assert.equal((await introspect(t.app, resourceServer, earlier)).active, true);
  });

  it('a second rotation drops the secret kept by an earlier grace', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const second = await t.gatehouse.admin.clients.rotateSecret(client.clientId, { graceSeconds: 3600 });
    const third = await t.gatehouse.admin.clients.rotateSecret(client.clientId, { graceSeconds: 3600 });
    assert.equal(await tokenStatus(client.clientId, client.secret), 401, 'the first secret is gone');
    assert.equal(await tokenStatus(client.clientId, second.secret), 200);
    assert.equal(await tokenStatus(client.clientId, third.secret), 200);
  });

  it('rotating a public client or an unknown client is refused with a clear error', async () => {
    await assert.rejects(t.gatehouse.admin.clients.rotateSecret('no-such-client'), /no client with id/);
    const { client } = await t.gatehouse.admin.clients.create({ tenant: 'acme', name: 'SPA', isPublic: true, redirectUris: ['https://spa.example/cb'] });
    await assert.rejects(t.gatehouse.admin.clients.rotateSecret(client.id), /public client/);
  });

  it('an emergency rotation racing a grace rotation cannot bring the old secret back', async () => {
    const client = await createClient(t.gatehouse, { tenant: 'acme' });
    const results = await Promise.allSettled([
      t.gatehouse.admin.clients.rotateSecret(client.clientId),
      t.gatehouse.admin.clients.rotateSecret(client.clientId, { graceSeconds: 86_400 }),
    ]);
    const [emergency, graceful] = results;
    assert.ok(results.some((r) => r.status === 'rejected'), 'both read the same secret: one of them must fail');
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    assert.match(String(failed.reason), /changed by another operation/);
    if (emergency!.status === 'fulfilled') {
      assert.equal(await tokenStatus(client.clientId, client.secret), 401, 'the compromised secret stays dead');
      assert.equal(await tokenStatus(client.clientId, emergency.value.secret), 200);
    } else {
      assert.equal(graceful!.status, 'fulfilled');
    }
  });

  it('revokes earlier tokens even when the rotating process runs on a slow clock', async () => {
    // The CLI may run on another host whose clock lags the servers'; revocation is a
    // counter, not a time, so it still revokes every earlier token.
    const slow = await createTestGatehouse({ databaseUrl: t.config.databaseUrl, config: { masterKeyFile: t.config.masterKeyFile }, clock: () => Date.now() - 10_000 });
    try {
      const client = await createClient(t.gatehouse, { tenant: 'acme' });
      const earlier = await getToken(t.app, client);
      await slow.gatehouse.admin.clients.rotateSecret(client.clientId);
      assert.deepEqual(await introspect(t.app, resourceServer, earlier), { active: false });
    } finally {
      await slow.app.close();
      await slow.gatehouse.close();
    }
  });
});
