// Bench server: the same route twice, once protected by @gatehouse-auth/resource and once
// public, in one Fastify process. Prints `READY <port> <token>` on stdout when listening.
// The verifier uses an in-process key (no network on the hot path, as in production once
// the JWKS is cached) and a revocation source with nothing revoked.
import { generateKeyPairSync } from 'node:crypto';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { createVerifier, gatehouseResource } from '../../packages/resource/src/index.js';

const issuer = 'http://127.0.0.1:1';
const audience = `${issuer}/api`;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'bench-key';

// As remoteKeySource once it has read the JWKS: the key at once (cachedKey) or through a promise (getKey).
const keyOf = (id: string) => (id === kid ? { key: publicKey, alg: 'ES256' } : undefined);
const keys = { cachedKey: keyOf, getKey: async (id: string) => keyOf(id) };
const verifier = createVerifier({
  issuer,
  audience,
  keys,
  revocations: { fetchChanges: async () => ({ revision: 0, clients: [], tokens: [], withdrawn_keys: [] }) },
});
await verifier.ready();
// The same verifier without its verified-token cache: every request checks the signature.
const uncached = createVerifier({ issuer, audience, keys, cacheSize: 0 });

const files = Array.from({ length: 20 }, (_, i) => ({ id: `file-${i}`, name: `contract-${i}.pdf`, size: 12_345 + i, content_type: 'application/pdf' }));

const app = Fastify({ logger: false });
// Each verifier in its own encapsulated scope, as an API would mount it.
await app.register(async (scope) => {
  await scope.register(gatehouseResource, { verifier });
  scope.get('/protected/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, async () => ({ files }));
  scope.get('/open/files', { config: { auth: { public: true } } }, async () => ({ files }));
});
await app.register(async (scope) => {
  await scope.register(gatehouseResource, { verifier: uncached });
  scope.get('/uncached/files', { config: { auth: { scopes: ['documents:read'], tenant: 'header' } } }, async () => ({ files }));
});

const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ client_id: 'bench-client', scope: 'documents:read documents:write', tenant: 'acme', client_epoch: 0 })
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
  .setIssuer(issuer)
  .setAudience(audience)
  .setSubject('bench-client')
  .setJti('bench-jti')
  .setIssuedAt(now)
  .setExpirationTime(now + 3600)
  .sign(privateKey);

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`READY ${new URL(address).port} ${token}`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
