/**
 * RFC 6749 §5.2 (and RFC 6750 §3): error_description holds only %x20-21 / %x23-5B /
 * %x5D-7E. Property tests with fast-check send random and adversarial values (quotes,
 * backslashes, control and non-ASCII characters) in every parameter the OAuth endpoints
 * read, and check every error description and challenge the server builds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { OAuthError } from '../../packages/server/src/core/errors.js';
import { createClient, createTestGatehouse, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/tokens.js';

const CHARSET = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
const APP_URI = 'https://app.example.com/cb';

/** Values an attacker would try, mixed with arbitrary strings (binary units: any code point, lone surrogates excepted). */
const adversarial = fc.oneof(
  fc.constantFrom('x"y\\z', '"', '\\', 'a\u0000b', 'é', '\u202e', 'x\r\ny', '%22', 'documents:read "x"', 'acme\\"'),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
);

function assertCharset(response: LightMyRequestResponse, context: string): void {
  if (response.statusCode < 400) return;
  const body = response.json() as { error_description?: unknown; message?: unknown };
  assert.equal(typeof body.error_description, 'string', `${context}: ${response.body}`);
  assert.match(body.error_description as string, CHARSET, `${context}: error_description ${JSON.stringify(body.error_description)}`);
  assert.match(String(body.message), CHARSET, `${context}: message`);
  const challenge = response.headers['www-authenticate'];
  if (typeof challenge === 'string') {
    for (const match of challenge.matchAll(/(error_description|scope)="([^"]*)"/g)) assert.match(match[2]!, CHARSET, `${context}: ${challenge}`);
  }
}

describe('error_description alphabet (RFC 6749 §5.2)', () => {
  let t: TestGatehouse;
  let client: TestClient;

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [APP_URI] });
  });
  after(() => t.close());

  it('an OAuthError never carries a quote, a backslash or a non-ASCII character, whatever it is given', () => {
    fc.assert(
      fc.property(adversarial, (text) => {
        const error = new OAuthError('invalid_request', `the value ${text} is bad`);
        assert.match(error.description, CHARSET);
        assert.match(error.toJSON().error_description, CHARSET);
      }),
    );
  });

  it('names the parameter instead of quoting the grant_type it was sent', async () => {
    const response = await postForm(t.app, '/oauth/token', 'grant_type=x%22y%5Cz', { authorization: basicAuth(client.clientId, client.secret) });
    assert.equal(response.statusCode, 400);
    const body = response.json() as { error: string; error_description: string };
    assert.equal(body.error, 'unsupported_grant_type');
    assert.match(body.error_description, /grant_type parameter/);
    assert.doesNotMatch(body.error_description, /x.y.z/);
  });

  it('the token endpoint: every parameter, authenticated or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            grant_type: fc.oneof(fc.constantFrom('client_credentials', 'authorization_code', 'refresh_token'), adversarial),
            scope: adversarial,
            code: adversarial,
            redirect_uri: adversarial,
            refresh_token: adversarial,
            code_verifier: adversarial,
            tenant: adversarial,
            resource: adversarial,
            client_id: adversarial,
          },
          { requiredKeys: ['grant_type'] },
        ),
        fc.boolean(),
        adversarial,
        async (params, authenticated, repeated) => {
          const body = new URLSearchParams(params as Record<string, string>);
          if (repeated !== '') {
            body.append(repeated, 'a');
            body.append(repeated, 'b');
          }
          const headers: Record<string, string> = authenticated ? { authorization: basicAuth(client.clientId, client.secret) } : {};
          assertCharset(await postForm(t.app, '/oauth/token', body.toString(), headers), `token ${body}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the token endpoint: Basic credentials made of anything', async () => {
    await fc.assert(
      fc.asyncProperty(adversarial, adversarial, async (id, secret) => {
        const response = await postForm(t.app, '/oauth/token', 'grant_type=client_credentials', { authorization: basicAuth(id, secret) });
        assertCharset(response, `basic ${JSON.stringify(id)}`);
      }),
      { numRuns: 100 },
    );
  });

  it('revocation and introspection', async () => {
    await fc.assert(
      fc.asyncProperty(adversarial, adversarial, fc.constantFrom('/oauth/revoke', '/oauth/introspect'), async (token, hint, url) => {
        const body = new URLSearchParams({ token, token_type_hint: hint }).toString();
        assertCharset(await postForm(t.app, url, body, { authorization: basicAuth(client.clientId, client.secret) }), `${url} ${body}`);
      }),
      { numRuns: 100 },
    );
  });

  it('the authorization endpoint: error redirects carry the alphabet too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ response_type: fc.oneof(fc.constant('code'), adversarial), prompt: adversarial, scope: adversarial, tenant: adversarial, code_challenge_method: adversarial }),
        async (params) => {
          const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: APP_URI, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', ...params });
          const response = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query}` });
          assert.ok(response.statusCode < 500, response.body);
          const location = response.headers.location;
          if (typeof location !== 'string' || !location.startsWith(APP_URI)) return;
          const url = new URL(location);
          const description = new URLSearchParams(url.search || url.hash.slice(1)).get('error_description');
          if (description !== null) assert.match(description, CHARSET, `authorize ${query}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an unknown route names neither the method nor the path', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/no/such%22path%5C' });
    assert.equal(response.statusCode, 404);
    assertCharset(response, 'not found');
  });
});
