/**
 * `@gatehouse-auth/resource`: verifies Gatehouse access tokens on the API provider's
 * backend (docs/resource-server.md). Framework-free core (`createVerifier`), a Fastify
 * plugin and a connect/Express middleware.
 */
export { createVerifier } from './verifier.js';
export type { Verifier, VerifierOptions } from './verifier.js';
export { validateRequirements } from './requirements.js';
export type { RouteRequirements, TenantRequirement } from './requirements.js';
export type { HeadersLike, VerifiableRequest } from './request.js';
export type { AccessTokenClaims } from './token-checks.js';
export { BearerError } from './errors.js';
export type { BearerErrorBody, BearerErrorCode, BearerErrorOptions, BearerErrorStatus } from './errors.js';
export { ACCEPTED_ALGORITHMS, importJwks, remoteKeySource } from './keys.js';
export type { KeySource, RemoteKeySource, RemoteKeySourceOptions, VerificationKey } from './keys.js';
export { RevocationFeedError } from './revocation-feed.js';
export type { RevocationChanges, RevocationSource } from './revocation-feed.js';
export { remoteRevocationSource } from './remote-revocation-source.js';
export type { RemoteRevocationSourceOptions } from './remote-revocation-source.js';
export { RevocationFollower } from './revocation-follower.js';
export type { RevocableClaims, RevocationFollowerOptions } from './revocation-follower.js';
export { gatehouseResource } from './fastify.js';
export type { GatehouseResourceOptions } from './fastify.js';
export { getAccessToken } from './access-token.js';
export type { RequestWithAccessToken } from './access-token.js';
export { requireToken, sendBearerError } from './express.js';
export type { NextFunction, NodeRequestLike, NodeResponseLike } from './express.js';
