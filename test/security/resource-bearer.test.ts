/**
 * @gatehouse-auth/resource (issue 16): a validly signed token whose `iat` lies beyond the
 * leeway in the future is refused; Bearer credentials that are not an RFC 6750 §2.1
 * b64token make a malformed request (400 invalid_request, §3.1), not a bad token (401).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createVerifier, gatehouseResource, type Verifier } from '../../packages/resource/src/index.js';
import { AUDIENCE, generateTestKey, ISSUER, nowSeconds, parseChallenge, signToken, staticKeySource, type TestKey } from '../resource/helpers.js';

describe('resource verifier: iat and the b64token syntax', () => {
  let key: TestKey;
  let verifier: Verifier;
  let app: FastifyInstance;

  before(async () => {
    key = await generateTestKey();
    verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]), clockTolerance: 5 });
    app = Fastify({ logger: false });
    await app.register(gatehouseResource, { verifier });
    app.get('/files', async () => ({ ok: true }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    await verifier.close();
  });

  const get = (authorization: string) => app.inject({ url: '/files', headers: { authorization } });

  it('refuses a validly signed token issued a day in the future, and one just beyond the leeway', async () => {
    for (const ahead of [86_400, 60, 6]) {
      const iat = nowSeconds() + ahead;
      const response = await get(`Bearer ${await signToken(key, { iat, exp: iat + 3600 })}`);
      assert.equal(response.statusCode, 401, `iat +${ahead}s: ${response.body}`);
      const challenge = parseChallenge(response.headers['www-authenticate']);
      assert.equal(challenge.error, 'invalid_token');
      assert.match(challenge.description ?? '', /issued in the future/);
    }
  });

  it('accepts an iat within the leeway (a clock a little ahead)', async () => {
    const iat = nowSeconds() + 3;
    assert.equal((await get(`Bearer ${await signToken(key, { iat, exp: iat + 3600 })}`)).statusCode, 200);
  });

  for (const [label, credentials] of [
    ['two words', 'a b'],
    ['a token and garbage', 'eyJh.eyJ.sig extra'],
    ['a quote', 'abc"def'],
    ['a backslash', 'abc\\def'],
    ['a comma', 'a,b'],
    ['a non-ASCII character', 'abcé'],
    ['padding in the middle', 'ab=cd'],
  ] as const) {
    it(`answers 400 invalid_request to Bearer credentials with ${label}`, async () => {
      const response = await get(`Bearer ${credentials}`);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal((response.json() as { error: string }).error, 'invalid_request');
      assert.equal(parseChallenge(response.headers['www-authenticate']).error, 'invalid_request');
    });
  }
});
