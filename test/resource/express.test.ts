import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createVerifier, requireToken, type AccessTokenClaims, type RouteRequirements, type Verifier } from '../../packages/resource/src/index.js';
import { AUDIENCE, ISSUER, countingVerifier, generateTestKey, parseChallenge, signToken, startHttpServer, staticKeySource, type TestHttpServer, type TestKey } from './helpers.js';

// The middleware fits Node's own request and response types (and so Express's).
type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

describe('requireToken (connect/Express middleware) on a real node:http server', () => {
  let key: TestKey;
  let verifier: Verifier;
  let server: TestHttpServer;

  const routes: Record<string, RouteRequirements> = {
    '/files': { scopes: ['documents:read'], tenant: 'header' },
    '/download': { queryToken: true, tenant: 'free' },
    '/default': {},
  };

  before(async () => {
    key = await generateTestKey('ES256');
    verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticKeySource([key]) });
    const middlewares = new Map<string, NodeMiddleware>(Object.entries(routes).map(([path, requirements]) => [path, requireToken(verifier, requirements)]));
    server = await startHttpServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      const middleware = middlewares.get(path);
      if (!middleware) {
        res.statusCode = 404;
        res.end();
        return;
      }
      middleware(req, res, (error) => {
        if (error) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const claims = (req as IncomingMessage & { accessToken?: AccessTokenClaims | null }).accessToken;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ claims }));
      });
    });
  });
  after(async () => {
    await server.close();
    await verifier.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  it('sets req.accessToken and calls next() for a valid token', async () => {
    const token = await signToken(key);
    const response = await get('/files', { authorization: `Bearer ${token}`, 'x-tenant': 'acme' });
    assert.equal(response.status, 200);
    assert.equal((response.body.claims as AccessTokenClaims).client_id, 'client-1');
  });

  it('answers 401 itself, with the challenge, no-store and a JSON body', async () => {
    const response = await get('/default');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${ISSUER}"`);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.body.error, 'unauthorized');

    const invalid = await get('/default', { authorization: 'Bearer garbage' });
    assert.equal(invalid.status, 401);
    assert.equal(parseChallenge(invalid.headers.get('www-authenticate')).error, 'invalid_token');
  });

  it('answers 403 insufficient_scope and tenant errors', async () => {
    const token = await signToken(key, { scope: undefined });
    const response = await get('/files', { authorization: `Bearer ${token}`, 'x-tenant': 'acme' });
    assert.equal(response.status, 403);
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    assert.equal(challenge.error, 'insufficient_scope');
    assert.equal(challenge.scope, 'documents:read');

    const noTenant = await get('/files', { authorization: `Bearer ${await signToken(key)}` });
    assert.equal(noTenant.status, 403);
    assert.equal(noTenant.body.error_description, 'the X-Tenant header is required');
  });

  it('refuses two Authorization headers, which Node itself would fold into one', async () => {
    const token = await signToken(key);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/default`, { headers: ['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`] }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
  });

  it('accepts a query token where allowed, with no-store and no-referrer', async () => {
    const token = await signToken(key);
    const response = await get(`/download?access_token=${token}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');

    const refused = await get(`/default?access_token=${token}`);
    assert.equal(refused.status, 400);
    assert.match(String(refused.body.error_description), /query string/);
  });

  it('passes errors other than BearerError to next()', async () => {
    const broken = { verify: async () => Promise.reject(new Error('bug')), ready: async () => {}, close: async () => {} } as unknown as Verifier;
    let passed: unknown;
    const res = { statusCode: 200, headersSent: false, setHeader: () => undefined, end: () => undefined };
    await new Promise<void>((resolve) => {
      requireToken(broken)({ headers: {}, url: '/' }, res, (error) => {
        passed = error;
        resolve();
      });
    });
    assert.match(String(passed), /bug/);
  });

  it('answers a token seen before synchronously (verifyNow): next() or the error before the middleware returns', async () => {
    const counted = countingVerifier(verifier);
    const middleware = requireToken(counted, routes['/files']);
    const token = await signToken(key, { scope: 'documents:read' });
    const request = (tenant: string) => ({ headers: { authorization: `Bearer ${token}`, 'x-tenant': tenant }, url: '/files' }) as { headers: Record<string, string>; url: string; accessToken?: AccessTokenClaims | null };
    const response = () => {
      const headers: Record<string, string> = {};
      return { statusCode: 200, headersSent: false, headers, body: undefined as string | undefined, setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value), end(chunk?: string) { this.body = chunk; } };
    };

    const first = request('acme');
    await new Promise<void>((resolve, reject) => middleware(first, response(), (error) => (error ? reject(error as Error) : resolve())));
    assert.equal(counted.verifyCalls, 1);

    const again = request('acme');
    let nextCalls = 0;
    middleware(again, response(), (error) => {
      assert.equal(error, undefined);
      nextCalls++;
    });
    assert.equal(nextCalls, 1, 'next() was called before requireToken returned');
    assert.deepEqual(again.accessToken, first.accessToken);
    await new Promise(setImmediate);
    assert.equal(nextCalls, 1, 'and only once');

    const wrongTenant = response();
    middleware(request('beta'), wrongTenant, () => assert.fail('next() must not be called for a 403'));
    assert.equal(wrongTenant.statusCode, 403, 'answered before requireToken returned');
    assert.match(wrongTenant.headers['www-authenticate']!, /error="insufficient_scope"/);
    assert.equal(JSON.parse(wrongTenant.body!).error, 'insufficient_scope');
    assert.equal(counted.verifyCalls, 1, 'no further verify() call');
  });

  it('passes an unexpected verifyNow failure to next(), never on to the handler', async () => {
    let verifyCalls = 0;
    const broken = {
      verify: async () => {
        verifyCalls++;
        return {};
      },
      verifyNow: () => {
        throw new Error('boom');
      },
      ready: async () => {},
      close: async () => {},
    } as unknown as Verifier;
    const passed: unknown[] = [];
    const res = { statusCode: 200, headersSent: false, setHeader: () => undefined, end: () => undefined };
    requireToken(broken)({ headers: { authorization: 'Bearer abc' }, url: '/' }, res, (error) => passed.push(error));
    assert.equal(passed.length, 1);
    assert.match(String(passed[0]), /boom/);
    await new Promise(setImmediate);
    assert.equal(passed.length, 1, 'next() only once');
    assert.equal(verifyCalls, 0, 'no second opinion from verify()');
  });
});
