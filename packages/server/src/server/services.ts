import { createScopedAdmin, type AdminServices, type ScopedAdmin } from '../core/admin/index.js';
import type { AdminPrincipal } from '../core/admin/principal.js';
import type { AuditRecorder, AuditService } from '../core/audit.js';
import { createAuthorizationFlow, type AuthorizationFlow } from '../core/authorize/flow.js';
import type { Config } from '../core/config.js';
import type { TokenResponse } from '../core/grants/index.js';
import { checkHealth, type HealthReport } from '../core/health.js';
import { handleIntrospectionRequest, type IntrospectionResponse } from '../core/introspection.js';
import type { KeyRing } from '../core/keys.js';
import { readAuthorizationServerMetadata, type AuthorizationServerMetadata } from '../core/metadata.js';
import type { OAuthRequest } from '../core/params.js';
import { handleRevocationFeedRequest } from '../core/revocation-feed.js';
import { handleRevocationRequest } from '../core/revocation.js';
import type { RevocationChanges, Storage, ThrottleStore } from '../core/storage.js';
import { handleTokenRequest } from '../core/token-endpoint.js';
import { listTenantsOfToken, type TenantClaims } from '../core/token-tenants.js';
import type { JWK } from 'jose';
import type { Verifier } from '@gatehouse-auth/resource';
import { authenticateAdminRequest } from './admin-authentication.js';

/**
 * The application: one plain function (or object) per thing the HTTP layer offers, each
 * built once from the narrow dependencies its core handler asks for. Routes parse the
 * request, call one of these and send what it returns; they never reach storage or keys.
 */
export interface Services {
  /** POST /oauth/token (RFC 6749 §3.2). */
  token(request: OAuthRequest, now: number): Promise<TokenResponse>;
  /** POST /oauth/introspect (RFC 7662). */
  introspect(request: OAuthRequest, now: number): Promise<IntrospectionResponse>;
  /** POST /oauth/revoke (RFC 7009). */
  revoke(request: OAuthRequest, now: number): Promise<void>;
  /** GET /oauth/revocations: the feed resource servers follow. */
  revocationFeed(request: OAuthRequest, now: number): Promise<RevocationChanges>;
  /** /oauth/authorize and its login and consent pages (core/authorize/flow.ts). */
  authorization: AuthorizationFlow;
  /** RFC 8414 metadata. */
  metadata(): Promise<AuthorizationServerMetadata>;
  /** The published verification keys (RFC 7517). */
  jwks(): Promise<{ keys: JWK[] }>;
  /** GET /healthz. */
  health(): Promise<HealthReport>;
  /** The tenants a verified access token may act for (core/token-tenants.ts). */
  tenantsOfToken(claims: TenantClaims): Promise<{ slug: string; name: string }[]>;
  /**
   * The admin operations as `principal` may perform them (core/admin/scoped.ts): what
   * the admin API and the dashboard call once they know who is acting. Every action is
   * recorded in the audit log as the principal's actor.
   */
  adminFor(principal: AdminPrincipal): ScopedAdmin;
  /**
   * Who an admin API request acts as, from its Authorization header (admin-authentication.ts):
   * a `gatehouse:admin` token for the admin API's audience, of an enabled client. Rejects with
   * AdminAuthenticationError (RFC 6750 §3.1: 401 invalid_token with WWW-Authenticate, 403
   * insufficient_scope, 400 invalid_request, 503 while the revocation state is stale).
   */
  adminAuthentication(authorizationHeader: string | undefined): Promise<AdminPrincipal>;
}

/** The keys derived from the master key (HKDF, one purpose each), derived once by openGatehouse. */
export interface DerivedKeys {
  /** Client secret digests (HMAC-SHA-256). */
  clientSecretDigest: Buffer;
  /** Seals signing keys at rest (AES-256-GCM). */
  signingKeyEncryption: Buffer;
  /** Authorization code digests. */
  codeDigest: Buffer;
  /** Refresh token digests. */
  refreshTokenDigest: Buffer;
  /** Seals the authorization session cookie. */
  authorizationSession: Buffer;
}

export interface ServiceParts {
  config: Config;
  storage: Storage;
  keys: KeyRing;
  throttle: ThrottleStore;
  redis: { available(): Promise<boolean> } | undefined;
  derived: DerivedKeys;
  /** Where security events (refresh-token reuse, code replay, throttled bursts) are recorded; admin actions are listed from it. */
  audit: AuditRecorder & Pick<AuditService, 'list'>;
  /** The admin services acting as one actor (context.ts: `gatehouse.adminAs`). */
  adminAs(actor: string): AdminServices;
  /** The verifier of admin-API tokens (Gatehouse.adminVerifier), built on first use. */
  adminVerifier: () => Verifier;
}

/** Builds every service once (the composition step of docs/architecture.md). */
export function buildServices({ config, storage, keys, throttle, redis, derived, audit, adminAs, adminVerifier }: ServiceParts): Services {
  const clientAuth = { clients: storage.clients, throttle, digestKey: derived.clientSecretDigest, config, audit };
  const tokenDeps = {
    ...clientAuth,
    keys,
    codes: storage.codes,
    grants: storage.grants,
    refreshTokens: storage.refreshTokens,
    users: storage.users,
    codeDigestKey: derived.codeDigest,
    refreshTokenDigestKey: derived.refreshTokenDigest,
  };
  const lookupDeps = {
    ...clientAuth,
    keys,
    revocations: storage.revocations,
    grants: storage.grants,
    refreshTokens: storage.refreshTokens,
    refreshTokenDigestKey: derived.refreshTokenDigest,
  };
  const feedDeps = { ...clientAuth, revocations: storage.revocations };
  const metadataDeps = { config, scopes: storage.scopes };
  const healthDeps = { database: storage, keys, redis };
  const tenantDeps = { tenants: storage.tenants, grants: storage.grants, clients: storage.clients };
  const adminAuthenticationDeps = { verifier: adminVerifier, clients: storage.clients, realm: config.issuer };
  return {
    token: (request, now) => handleTokenRequest(request, tokenDeps, now),
    introspect: (request, now) => handleIntrospectionRequest(request, lookupDeps, now),
    revoke: (request, now) => handleRevocationRequest(request, lookupDeps, now),
    revocationFeed: (request, now) => handleRevocationFeedRequest(request, feedDeps, now),
    authorization: createAuthorizationFlow({
      clients: storage.clients,
      users: storage.users,
      consents: storage.consents,
      scopes: storage.scopes,
      codes: storage.codes,
      keys,
      throttle,
      audit,
      config,
      codeDigestKey: derived.codeDigest,
      sessionKey: derived.authorizationSession,
    }),
    metadata: () => readAuthorizationServerMetadata(metadataDeps),
    jwks: () => keys.jwks(),
    health: () => checkHealth(healthDeps),
    tenantsOfToken: (claims) => listTenantsOfToken(claims, tenantDeps),
    adminFor: (principal) => createScopedAdmin({ admin: adminAs(principal.actor), audit }, principal),
    adminAuthentication: (authorizationHeader) => authenticateAdminRequest(authorizationHeader, adminAuthenticationDeps),
  };
}
