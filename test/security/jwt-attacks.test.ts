/**
 * Forged and tampered access tokens (issue 16, "The suite"), tried against a real Gatehouse:
 * at `@gatehouse-auth/resource` (createVerifier with the keys found through the issuer's
 * metadata, and its Fastify plugin; the demo API the server mounts) and at POST /oauth/introspect. Every one is refused:
 * 401 `invalid_token` at the resource (RFC 6750 §3.1), exactly `{"active":false}` at
 * introspection (RFC 7662 §2.2), never a 500. Tokens whose only fault is a claim are
 * signed with the deployment's real private key, so the claim check alone refuses them
 * (a control token built the same way is accepted).
 */
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { BearerError, createVerifier, gatehouseResource, type Verifier } from '../../packages/resource/src/index.js';
import { createClient, createListeningGatehouse, createTestGatehouse, getToken, introspect, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { jwtHeader, jwtPayload } from '../helpers/tokens.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A TCP listener that only counts connections: a token's jku/x5u must never reach it. */
async function startTrap(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('JWT attacks against @gatehouse-auth/resource and /oauth/introspect', () => {
  let t: TestGatehouse;
  let other: TestGatehouse;
  let issuer: string;
  let audience: string;
  let client: TestClient;
  let rs: TestClient;
  let verifier: Verifier;
  let api: FastifyInstance;
  let trap: Awaited<ReturnType<typeof startTrap>>;
  let genuine: string;
  let kid: string;
  let alg: string;
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  /** A key pair the attacker holds. */
  let attacker: { privateKey: CryptoKey; jwk: JWK };
  const errors: unknown[] = [];

  before(async () => {
    ({ gatehouse: t, issuer } = await createListeningGatehouse());
    audience = `${issuer}/api`;
    // Another deployment under the very same issuer name, with its own keys.
    other = await createTestGatehouse({ config: { issuer } });
    client = await createClient(t.gatehouse, { tenant: 'acme' });
    rs = await createClient(t.gatehouse, { tenant: 'provider', name: 'Document API', resourceServer: true });
    trap = await startTrap();
    verifier = createVerifier({ issuer, audience, onError: (error) => errors.push(error) });
    api = Fastify({ logger: false });
    await api.register(gatehouseResource, { verifier });
    api.get('/files', async () => ({ ok: true }));
    await api.ready();

    genuine = await getToken(t.app, client);
    const signing = await t.gatehouse.keys.signingKey();
    ({ kid, alg, privateKey } = signing);
    publicKey = createPublicKey(privateKey);
    const pair = await generateKeyPair(alg, { extractable: true });
    attacker = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), alg, kid: 'attacker' } };
  });
  after(async () => {
    await api?.close();
    await verifier?.close();
    await trap?.close();
    await other?.close();
    await t?.close();
  });

  /** Genuine claims, with overrides (undefined removes one). */
  const claims = (overrides: Record<string, unknown> = {}) => {
    const result: Record<string, unknown> = { ...jwtPayload(genuine), jti: `forged-${Math.random().toString(36).slice(2)}` };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete result[name];
      else result[name] = value;
    }
    return result;
  };
  const now = () => Math.floor(Date.now() / 1000);

  /** Signed by the deployment's own private key, with this header and these claims. */
  const signReal = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, crit?: Record<string, boolean>) =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid, ...header } as never).sign(privateKey, crit ? { crit } : {});
  const signAttacker = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid, ...header } as never).sign(attacker.privateKey);
  /** HS256 over the header and payload with `secret` as the HMAC key (the algorithm-confusion attack). */
  const hs256 = (secret: Buffer | string, header: Record<string, unknown> = {}) => {
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid, ...header })}.${b64(claims())}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  /** Each attack: a name and the token (built lazily, after `before`). */
  const attacks: [string, () => Promise<string> | string][] = [];
  for (const none of ['none', 'None', 'NONE', 'nOnE']) {
    attacks.push([`alg ${none}, no signature`, () => `${b64({ alg: none, typ: 'at+jwt', kid })}.${b64(claims())}.`]);
    attacks.push([`alg ${none}, the genuine signature kept`, () => `${b64({ alg: none, typ: 'at+jwt', kid })}.${b64(claims())}.${genuine.split('.')[2]}`]);
  }
  attacks.push(
    ['HS256 keyed with the public key as PEM (SPKI)', () => hs256(publicKey.export({ type: 'spki', format: 'pem' }))],
    ['HS256 keyed with the public key as PKCS#1 PEM', () => (publicKey.asymmetricKeyType === 'rsa' ? hs256(publicKey.export({ type: 'pkcs1', format: 'pem' })) : hs256(publicKey.export({ type: 'spki', format: 'pem' }).toString().trim()))],
    ['HS256 keyed with the public key as JWK JSON', () => hs256(JSON.stringify(publicKey.export({ format: 'jwk' })))],
    ['HS256 keyed with the published JWK (kid, alg, use)', async () => hs256(JSON.stringify((await t.gatehouse.keys.jwks()).keys.find((jwk) => jwk.kid === kid)))],
    ['HS256 keyed with the public key as DER', () => hs256(publicKey.export({ type: 'spki', format: 'der' }))],
    ['the attacker key embedded as jwk, under the real kid', () => signAttacker(claims(), { jwk: attacker.jwk })],
    ['the attacker key embedded as jwk, no kid', () => signAttacker(claims(), { jwk: attacker.jwk, kid: undefined })],
    ['jku pointing at the attacker', () => signAttacker(claims(), { kid: 'attacker', jku: `${trap.url}/jwks.json` })],
    ['x5u pointing at the attacker', () => signAttacker(claims(), { kid: 'attacker', x5u: `${trap.url}/cert.pem` })],
    ['jku under the real kid', () => signAttacker(claims(), { jku: `${trap.url}/jwks.json` })],
    ['jku on a token the real key signed', () => signReal(claims(), { jku: `${trap.url}/jwks.json` })],
    ['kid path traversal', () => signAttacker(claims(), { kid: '../../../../../../dev/null' })],
    ['kid path traversal, encoded', () => signAttacker(claims(), { kid: '..%2F..%2F..%2Fetc%2Fpasswd' })],
    ['kid SQL injection', () => signAttacker(claims(), { kid: "x' OR '1'='1" })],
    ['kid SQL injection with a union', () => signAttacker(claims(), { kid: `' UNION SELECT '${kid}' --` })],
    ['kid with a NUL', () => signAttacker(claims(), { kid: `${kid}\u0000` })],
    ['kid of 3,000 characters', () => signAttacker(claims(), { kid: 'k'.repeat(3000) })],
    ['kid that is not a string', () => signAttacker(claims(), { kid: [kid] })],
    ['unknown crit extension', () => signReal(claims(), { crit: ['exp-x'], 'exp-x': true }, { 'exp-x': true })],
    ['crit b64 (RFC 7797, which Gatehouse never uses)', () => signReal(claims(), { crit: ['b64'], b64: true }, { b64: true })],
    ['typ JWT', () => signReal(claims(), { typ: 'JWT' })],
    ['typ missing', () => signReal(claims(), { typ: undefined })],
    ['typ id_token+jwt', () => signReal(claims(), { typ: 'application/id_token+jwt' })],
    ['typ logout+jwt', () => signReal(claims(), { typ: 'logout+jwt' })],
    ['expired beyond the leeway', () => signReal(claims({ iat: now() - 7200, exp: now() - 600 }))],
    ['not valid yet beyond the leeway (nbf)', () => signReal(claims({ nbf: now() + 600 }))],
    ['issued a day in the future (iat)', () => signReal(claims({ iat: now() + 86_400, exp: now() + 90_000 }))],
    ['issued ten minutes in the future (iat)', () => signReal(claims({ iat: now() + 600, exp: now() + 4200 }))],
    ['no exp', () => signReal(claims({ exp: undefined }))],
    ['exp as a string', () => signReal(claims({ exp: String(now() + 3600) }))],
    ['wrong iss', () => signReal(claims({ iss: 'https://evil.example' }))],
    ['iss with a trailing slash', () => signReal(claims({ iss: `${issuer}/` }))],
    ['no iss', () => signReal(claims({ iss: undefined }))],
    ['the other deployment signing under this deployment kid', async () => signWith(other, claims(), kid)],
    ['the other deployment genuine token (same issuer name)', async () => getToken(other.app, await createClient(other.gatehouse, { tenant: 'acme' }))],
    ['the attacker key under the real kid', () => signAttacker(claims())],
    ['a genuine token with its payload swapped', () => `${genuine.split('.')[0]}.${b64(claims({ scope: 'admin' }))}.${genuine.split('.')[2]}`],
    ['a genuine token with its signature truncated', () => genuine.slice(0, -4)],
    ['a 1 MB header segment', () => `${b64({ alg, typ: 'at+jwt', kid, pad: 'x'.repeat(1_000_000) })}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`],
    ['a 1 MB payload segment', () => `${genuine.split('.')[0]}.${b64(claims({ pad: 'x'.repeat(1_000_000) }))}.${genuine.split('.')[2]}`],
    ['a 1 MB signature segment', () => `${genuine.split('.')[0]}.${genuine.split('.')[1]}.${'A'.repeat(1_000_000)}`],
    ['a header that is not JSON', () => `${b64('{"alg":')}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`],
    ['a header that is a JSON array', () => `${b64([alg])}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`],
    ['JWE-shaped (five segments)', () => `${b64({ alg: 'dir', enc: 'A128GCM', kid })}..AAAA.AAAA.AAAA`],
  );

  async function signWith(deployment: TestGatehouse, payload: Record<string, unknown>, asKid: string): Promise<string> {
    const key = await deployment.gatehouse.keys.signingKey();
    assert.notEqual(key.kid, kid);
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: asKid }).sign(key.privateKey);
  }

  it('controls: the genuine token and one forged the same way with correct claims are accepted', async () => {
    const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, url: '/files' });
    assert.equal((await verifier.verify(request(genuine))).client_id, client.clientId);
    const control = await signReal(claims());
    assert.equal(jwtHeader(control).kid, kid);
    assert.equal((await verifier.verify(request(control))).client_id, client.clientId);
    assert.equal((await introspect(t.app, rs, genuine)).active, true);
    // The demo document API the server mounts (its in-process verifier).
    const demo = await t.app.inject({ url: '/api/tenants', headers: { authorization: `Bearer ${control}` } });
    assert.equal(demo.statusCode, 200, demo.body);
    assert.equal((await introspect(t.app, rs, control)).active, true);
    // The near misses the leeway allows (RFC 9068 §4, a few seconds of clock skew) still pass.
    assert.equal((await verifier.verify(request(await signReal(claims({ iat: now() + 2, nbf: now() + 2 }))))).client_id, client.clientId);
  });

  for (const [name, build] of attacks) {
    it(`refuses ${name}`, async () => {
      const token = await build();
      await assert.rejects(
        verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/files' }),
        (error: unknown) => error instanceof BearerError && error.status === 401 && error.code === 'invalid_token',
      );
      if (token.length < 100_000) {
        // Through the Fastify plugin (a 1 MB Authorization header never gets past Node's header limit).
        const response = await api.inject({ url: '/files', headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 401, response.body);
        assert.equal((response.json() as { error: string }).error, 'invalid_token');
        const demo = await t.app.inject({ url: '/api/tenants', headers: { authorization: `Bearer ${token}` } });
        assert.equal(demo.statusCode, 401, `the demo API: ${demo.body}`);
      }
      const response = await t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rs.clientId}:${rs.secret}`).toString('base64')}` },
        payload: new URLSearchParams({ token }).toString(),
      });
      if (token.length < 100_000) {
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(response.json(), { active: false });
      } else {
        // A body past the server's limit is refused as such (RFC 9110 §15.5.14), never a 5xx.
        assert.ok(response.statusCode === 200 || response.statusCode === 413, `${response.statusCode} ${response.body.slice(0, 200)}`);
        if (response.statusCode === 200) assert.deepEqual(response.json(), { active: false });
      }
      assert.equal(trap.connections(), 0, 'a jku or x5u was fetched');
    });
  }

  // RFC 9068 §4: the resource server checks that `aud` names it. Introspection answers for
  // any audience this server issued to (RFC 7662 §2.2 returns `aud` for the caller to check),
  // so these are tried at the resource only.
  for (const [name, aud] of [
    ['another API', 'https://other.example/api'],
    ['the issuer itself', 'ISSUER'],
    ['a list without this API', ['https://other.example/api', 'https://third.example']],
    ['this API in another case', 'UPPER'],
    ['this API with a trailing slash', 'SLASH'],
    ['no aud', undefined],
    ['an empty list', []],
  ] as const) {
    it(`refuses at the resource a token signed by the real key for ${name}`, async () => {
      const value = aud === 'ISSUER' ? issuer : aud === 'UPPER' ? audience.toUpperCase() : aud === 'SLASH' ? `${audience}/` : aud;
      const token = await signReal(claims({ aud: value }));
      await assert.rejects(
        verifier.verify({ headers: { authorization: `Bearer ${token}` }, url: '/files' }),
        (error: unknown) => error instanceof BearerError && error.status === 401 && error.code === 'invalid_token',
      );
      const response = await api.inject({ url: '/files', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 401, response.body);
    });
  }

  it('made no outbound request for a jku or x5u (the trap saw no connection)', () => {
    assert.equal(trap.connections(), 0);
  });
});
