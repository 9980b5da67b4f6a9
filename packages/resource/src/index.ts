/**
 * `gatehouse/resource`: verifies Gatehouse access tokens on the API provider's backend
 * (docs/resource-server.md). Framework-free core (`createVerifier`), a Fastify plugin and
 * a connect/Express middleware.
 */
export { createVerifier, validateRequirements } from './verifier.js';
export type { AccessTokenClaims, HeadersLike, RouteRequirements, TenantRequirement, VerifiableRequest, Verifier, VerifierOptions } from './verifier.js';
export { BearerError } from './errors.js';
export type { BearerErrorBody, BearerErrorCode, BearerErrorOptions, BearerErrorStatus } from './errors.js';
export { ACCEPTED_ALGORITHMS, importJwks, remoteKeySource } from './keys.js';
export type { KeySource, RemoteKeySource, RemoteKeySourceOptions, VerificationKey } from './keys.js';
export { RevocationFeedError, RevocationFollower, remoteRevocationSource } from './revocation.js';
export type { RemoteRevocationSourceOptions, RevocableClaims, RevocationChanges, RevocationFollowerOptions, RevocationSource } from './revocation.js';
export { gatehouseResource } from './fastify.js';
export type { GatehouseResourceOptions } from './fastify.js';
export { requireToken, sendBearerError } from './express.js';
export type { NextFunction, NodeRequestLike, NodeResponseLike } from './express.js';
