import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../packages/server/src/core/duration.js';
import { OAuthError, ValidationError } from '../../packages/server/src/core/errors.js';
import { parseScopeList, resolveRequestedScope } from '../../packages/server/src/core/scope.js';

describe('parseDuration', () => {
  it('reads the units operators type', () => {
    assert.equal(parseDuration('3600'), 3600);
    assert.equal(parseDuration('3600s'), 3600);
    assert.equal(parseDuration('30m'), 1800);
    assert.equal(parseDuration('12h'), 43_200);
    assert.equal(parseDuration('7d'), 604_800);
    assert.equal(parseDuration('2w'), 1_209_600);
    assert.equal(parseDuration('1y'), 31_536_000);
    assert.equal(parseDuration(' 12H '), 43_200);
  });

  for (const bad of ['', '12x', 'h', '-5s', '1.5h', '0', '0s', '12 hours', '101y', '99999999999']) {
    it(`refuses "${bad}" with a message naming it`, () => {
      assert.throws(() => parseDuration(bad), (error: unknown) => error instanceof ValidationError && error.message.includes(`"${bad}"`));
    });
  }

  it('formats seconds with the largest exact unit', () => {
    assert.equal(formatDuration(43_200), '12h');
    assert.equal(formatDuration(90), '90s');
    assert.equal(formatDuration(86_400), '1d');
  });
});

describe('scope', () => {
  const client = { id: 'c1', scopes: ['documents:read', 'documents:write'], defaultScopes: ['documents:read'] };

  it('grants the default scopes when none is requested, or the parameter is blank', () => {
    assert.deepEqual(resolveRequestedScope(undefined, client), ['documents:read']);
    assert.deepEqual(resolveRequestedScope('   ', client), ['documents:read']);
  });

  it('grants a requested subset, sorted and without duplicates', () => {
    assert.deepEqual(resolveRequestedScope('documents:write documents:read documents:write', client), ['documents:read', 'documents:write']);
  });

  it('refuses a scope the client may not request with invalid_scope', () => {
    assert.throws(
      () => resolveRequestedScope('documents:read admin', client),
      // The description names the parameter, never the client's value (RFC 6749 §5.2 charset; issue 16).
      (error: unknown) => error instanceof OAuthError && error.code === 'invalid_scope' && error.description.includes('scope parameter') && !error.description.includes('admin'),
    );
  });

  it('refuses characters outside the RFC 6749 §3.3 scope-token grammar', () => {
    for (const bad of ['a"b', 'a\\b', 'caf\u00e9', 'tab\there']) {
      assert.throws(() => resolveRequestedScope(bad, { ...client, scopes: [bad] }), (error: unknown) => error instanceof OAuthError && error.code === 'invalid_scope');
    }
  });

  it('parses operator scope lists and rejects invalid names', () => {
    assert.deepEqual(parseScopeList('  b a  b '), ['a', 'b']);
    assert.deepEqual(parseScopeList(''), []);
    assert.throws(() => parseScopeList('ok "bad"'), ValidationError);
  });
});
