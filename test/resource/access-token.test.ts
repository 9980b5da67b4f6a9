import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { createVerifier, gatehouseResource, getAccessToken, requireToken, type AccessTokenClaims } from '../../packages/resource/src/index.js';
import { AUDIENCE, generateTestKey, ISSUER, signToken, staticKeySource } from './helpers.js';

describe('getAccessToken: the verified claims, typed non-null', () => {
  it('returns the claims the adapter set, and throws a TypeError when there are none', () => {
    const claims = { sub: 'client-1' } as AccessTokenClaims;
    assert.equal(getAccessToken({ accessToken: claims }), claims);
    assert.throws(() => getAccessToken({ accessToken: null }), TypeError);
    assert.throws(() => getAccessToken({}), /no verified access token/);
  });

  it('gives a Fastify handler the claims on a protected route; a public route answers 500, not a token', async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const app = Fastify({ logger: false });
    try {
      await app.register(gatehouseResource, { verifier });
      // Under --strict: getAccessToken(request) is AccessTokenClaims, so `.tenant` needs no `!` or `?.`.
      app.get('/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, async (request) => ({ tenant: getAccessToken(request).tenant }));
      app.get('/status', { config: { auth: { public: true } } }, async (request) => ({ tenant: getAccessToken(request).tenant }));
      const token = await signToken(key);
      const files = await app.inject({ url: '/files', headers: { authorization: `Bearer ${token}`, 'x-tenant': 'acme' } });
      assert.equal(files.statusCode, 200, files.body);
      assert.deepEqual(files.json(), { tenant: 'acme' });
      assert.equal((await app.inject({ url: '/files' })).statusCode, 401, 'no token: the handler never runs');
      assert.equal((await app.inject({ url: '/status', headers: { authorization: `Bearer ${token}` } })).statusCode, 500);
    } finally {
      await app.close();
      await verifier.close();
    }
  });

  it('gives the handler after requireToken the claims the middleware set', async () => {
    const key = await generateTestKey();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const token = await signToken(key);
    const req: { headers: Record<string, string>; url: string; accessToken?: AccessTokenClaims | null } = { headers: { authorization: `Bearer ${token}` }, url: '/files' };
    const res = { statusCode: 200, headersSent: false, setHeader: () => undefined, end: () => undefined };
    const next = await new Promise<unknown>((resolve) => requireToken(verifier, { scopes: ['documents:read'] })(req, res, resolve));
    assert.equal(next, undefined);
    assert.equal(getAccessToken(req).tenant, 'acme');
    await verifier.close();
  });
});
