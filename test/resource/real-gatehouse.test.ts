import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Verifier } from '../../packages/resource/src/index.js';
import { createClient, createListeningGatehouse, getToken, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { eventually } from '../helpers/timing.js';
import { basicAuth } from '../helpers/tokens.js';

describe('@gatehouse-auth/resource against a real Gatehouse over HTTP', () => {
  let t: TestGatehouse;
  let issuer: string;
  let client: TestClient;

  before(async () => {
    ({ gatehouse: t, issuer } = await createListeningGatehouse());
    client = await createClient(t.gatehouse, { tenant: 'acme' });
  });
  after(() => t.close());

  it('verifies a token Gatehouse minted, with keys found through its metadata', async () => {
    const verifier = createVerifier({ issuer, audience: `${issuer}/api` });
    const token = await getToken(t.app, client, { scope: 'documents:read documents:write' });
    const claims = await verifier.verify(
      { headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' }, url: '/files/1' },
      { scopes: ['documents:read', 'documents:write'], tenant: 'header' },
    );
    assert.equal(claims.iss, issuer);
    assert.equal(claims.client_id, client.clientId);
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.client_epoch, 0);
    await assert.rejects(
      verifier.verify({ headers: { authorization: `Bearer ${token}`, 'x-tenant': 'globex' }, url: '/files/1' }, { tenant: 'header' }),
      { status: 403, code: 'insufficient_scope' },
    );
    await verifier.close();
  });

  it('picks up a signing-key rotation without a restart', async () => {
    const verifier = createVerifier({ issuer, audience: `${issuer}/api` });
    const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, url: '/' });
    await verifier.verify(request(await getToken(t.app, client)));
    await t.gatehouse.admin.keys.rotate();
    const claims = await verifier.verify(request(await getToken(t.app, client)));
    assert.equal(claims.client_id, client.clientId);
    await verifier.close();
  });

  it('follows the revocation feed: an RFC 7009 revocation is refused within a second', async () => {
    const rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
    let verifier: Verifier | undefined;
    try {
      verifier = createVerifier({ issuer, audience: `${issuer}/api`, revocationFeed: { clientId: rs.clientId, clientSecret: rs.secret } });
      await verifier.ready();
      const token = await getToken(t.app, client);
      const request = { headers: { authorization: `Bearer ${token}` }, url: '/' };
      await verifier.verify(request);

      const revoked = await postForm(t.app, '/oauth/revoke', { token }, { authorization: basicAuth(client.clientId, client.secret) });
      assert.equal(revoked.statusCode, 200);
      const v = verifier;
      const elapsed = await eventually('the revocation to reach the verifier', () =>
        v.verify(request).then(
          () => false,
          (error: { description?: string }) => error.description === 'the access token has been revoked',
        ),
      );
      assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    } finally {
      await verifier?.close();
    }
  });
});
