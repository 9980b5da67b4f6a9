import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { BearerError, createVerifier, gatehouseResource } from '../../packages/resource/src/index.js';
import { AUDIENCE, generateTestKey, ISSUER, signToken, staticKeySource } from './helpers.js';

describe('route requirements', () => {
  it('refuse a misspelt tenant mode or a scope string at route registration', async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    for (const auth of [{ tenant: 'Header' }, { scopes: 'documents:read' }, { queryToken: 'yes' }]) {
      const app = Fastify();
      await app.register(gatehouseResource, { verifier });
      await assert.rejects(
        (async () => {
          app.get('/x', { config: { auth: auth as never } }, async () => 'ok');
          await app.ready();
        })(),
        TypeError,
        `refused ${JSON.stringify(auth)}`,
      );
    }
  });

  it("'token' mode takes the tenant from the token, and an X-Tenant that is sent must agree", async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const token = await signToken(key, { tenant: 'acme' });
    const call = (headers: Record<string, string>) => verifier.verify({ headers: { authorization: `Bearer ${token}`, ...headers }, url: '/x' }, { tenant: 'token' });
    assert.equal((await call({})).tenant, 'acme');
    assert.equal((await call({ 'x-tenant': 'acme' })).tenant, 'acme');
    await assert.rejects(call({ 'x-tenant': 'globex' }), (error: unknown) => error instanceof BearerError && error.status === 403);
  });
});
