// The public surface of @gatehouse-auth/resource, as a consumer compiles against it
// (test/types/public-api.test.ts checks this file against the built declarations).
import {
  BearerError,
  createVerifier,
  gatehouseResource,
  remoteKeySource,
  remoteRevocationSource,
  requireToken,
  type AccessTokenClaims,
  type BearerErrorCode,
  type RouteRequirements,
  type VerifiableRequest,
  type Verifier,
} from '@gatehouse-auth/resource';
import { expectType, type Equal } from './expect.js';

const verifier: Verifier = createVerifier({
  issuer: 'https://auth.example.com',
  audience: 'https://auth.example.com/api',
  keys: remoteKeySource({ issuer: 'https://auth.example.com' }),
  revocations: remoteRevocationSource({ issuer: 'https://auth.example.com', clientId: 'rs', clientSecret: 'secret' }),
});

export async function check(request: VerifiableRequest): Promise<void> {
  // A protected route resolves to claims, a public one to null.
  const claims = await verifier.verify(request, { scopes: ['documents:read'] });
  expectType<Equal<typeof claims, AccessTokenClaims>>();
  const none = await verifier.verify(request, { public: true });
  expectType<Equal<typeof none, null>>();
  void none;
  const subject: string = claims.sub;
  const tenant: string | undefined = claims.tenant;
  void [subject, tenant];

  const requirements: RouteRequirements = { scopes: ['documents:write'], tenant: 'header' };
  void requirements;
  const error = new BearerError({ realm: 'api', code: 'insufficient_scope', description: 'needs documents:write', scope: ['documents:write'] });
  expectType<Equal<typeof error.code, BearerErrorCode | undefined>>();
  const status: 400 | 401 | 403 | 503 = error.status;
  void status;
}

// The adapters exist for Fastify and connect/Express.
void gatehouseResource;
void requireToken(verifier);

// Internals stay internal.
// @ts-expect-error the verified-token cache is not exported
import { VerifiedTokenCache } from '@gatehouse-auth/resource';
void VerifiedTokenCache;
