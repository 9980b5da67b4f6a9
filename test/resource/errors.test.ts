import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerError } from '../../packages/resource/src/index.js';
import { parseChallenge } from './helpers.js';

describe('BearerError', () => {
  it('writes the RFC 6750 §3 challenge with each attribute that applies', () => {
    const missing = new BearerError({ realm: 'api', code: undefined, description: 'an access token is required' });
    assert.equal(missing.status, 401);
    assert.equal(missing.wwwAuthenticate, 'Bearer realm="api"');
    assert.deepEqual(missing.toJSON(), { error: 'unauthorized', error_description: 'an access token is required', message: 'an access token is required' });

    const invalid = new BearerError({ realm: 'api', code: 'invalid_token', description: 'the access token has expired' });
    assert.equal(invalid.status, 401);
    assert.equal(invalid.wwwAuthenticate, 'Bearer realm="api", error="invalid_token", error_description="the access token has expired"');

    const scope = new BearerError({ realm: 'api', code: 'insufficient_scope', description: 'lacks', scope: ['a:read', 'b:write'] });
    assert.equal(scope.status, 403);
    assert.equal(scope.wwwAuthenticate, 'Bearer realm="api", error="insufficient_scope", error_description="lacks", scope="a:read b:write"');
    assert.deepEqual(scope.scope, ['a:read', 'b:write']);

    assert.equal(new BearerError({ realm: 'api', code: 'invalid_request', description: 'x' }).status, 400);
  });

  it('keeps quotes, backslashes, control and non-ASCII characters out of the header', () => {
    const error = new BearerError({
      realm: 'a "quoted"\\ realm\r\n',
      code: 'insufficient_scope',
      description: 'tenant "x", error="y"\\\r\nSet-Cookie: z=1 \u00e9\u2028',
      scope: ['ok', 'bad"scope\\', 'sp ace'],
    });
    const challenge = parseChallenge(error.wwwAuthenticate);
    assert.equal(challenge.error, 'insufficient_scope');
    assert.ok(!/[\r\n]/.test(error.wwwAuthenticate));
    assert.equal(error.description, "tenant 'x', error='y'/??Set-Cookie: z=1 ??");
    assert.equal(error.toJSON().error_description, error.description);
    assert.equal(challenge.scope, 'ok badscope space');
    assert.ok(error.wwwAuthenticate.startsWith('Bearer realm="a \\"quoted\\"\\\\ realm??", '));
  });

  it('bounds the description length', () => {
    const error = new BearerError({ realm: 'api', code: 'invalid_token', description: 'x'.repeat(1000) });
    assert.ok(error.description.length <= 200);
  });

  it('is an Error with a name, usable with instanceof', () => {
    const error = new BearerError({ realm: 'api', code: 'invalid_token', description: 'd', cause: new Error('inner') });
    assert.ok(error instanceof Error && error instanceof BearerError);
    assert.equal(error.name, 'BearerError');
    assert.equal(error.message, 'd');
    assert.ok(!JSON.stringify(error).includes('inner'));
  });
});
