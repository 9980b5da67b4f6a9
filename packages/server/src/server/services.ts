import { createScopedAdmin, type AdminServices, type ScopedAdmin } from '../core/admin/index.js';
import type { AdminPrincipal } from '../core/admin/principal.js';
import type { AuditRecorder, AuditService } from '../core/audit.js';
import type { Logo } from '../core/branding.js';
import type { Tenant } from '../core/types.js';
import { createAdminAuthentication, type AdminAuthentication } from '../core/admin/authentication.js';
import type { AdminMfaKeys } from '../core/admin/mfa.js';
import { AccountService } from '../core/account.js';
import { createAuthorizationFlow, type AuthorizationFlow } from '../core/authorize/flow.js';
import type { Config } from '../core/config.js';
import type { TokenResponse } from '../core/grants/index.js';
import { checkHealth, type HealthReport } from '../core/health.js';
import { handleIntrospectionRequest, type IntrospectionResponse } from '../core/introspection.js';
import type { KeyRing } from '../core/keys.js';
import type { CoreMetrics } from '../core/metrics.js';
import { readAuthorizationServerMetadata, type AuthorizationServerMetadata } from '../core/metadata.js';
import type { OAuthRequest } from '../core/params.js';
import { handleRevocationFeedRequest } from '../core/revocation-feed.js';
import { handleRevocationRequest } from '../core/revocation.js';
import { SessionService } from '../core/sessions.js';
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
  /** A tenant's display name and branding, for the pages (web/branding.ts); undefined: no such tenant. */
  tenantBranding(slug: string): Promise<Pick<Tenant, 'slug' | 'name' | 'branding'> | undefined>;
  /** A tenant's logo, for GET /oauth/assets/tenants/{slug}/logo. */
  tenantLogo(slug: string): Promise<(Logo & { digest: string }) | undefined>;
  /**
   * Server-side sign-in sessions (core/sessions.ts): kind `user` for /oauth/authorize and
   * /account, kind `admin` for /admin. The cookies: server/session-cookie.ts.
   */
  sessions: SessionService;
  /** The dashboard's sign-in (password, then TOTP or a recovery code) and the admins' own second factor (core/admin/authentication.ts). */
  adminAuth: AdminAuthentication;
  /**
   * Who an admin API request acts as, from its Authorization header (admin-authentication.ts):
   * a `gatehouse:admin` token for the admin API's audience, of an enabled client. Rejects with
   * AdminAuthenticationError (RFC 6750 §3.1: 401 invalid_token with WWW-Authenticate, 403
   * insufficient_scope, 400 invalid_request, 503 while the revocation state is stale).
   */
  adminAuthentication(authorizationHeader: string | undefined): Promise<AdminPrincipal>;
  /** The end user's /account (core/account.ts). */
  account: AccountService;
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
  /** Sign-in session token digests (HMAC-SHA-256). */
  sessionDigest: Buffer;
  /** Sign-in session CSRF tokens (HMAC-SHA-256 of the session id). */
  sessionCsrf: Buffer;
  /** Admin accounts' TOTP secrets (sealed) and recovery code digests (core/admin/mfa.ts). */
  adminMfa: AdminMfaKeys;
  /** Seals the dashboard's sign-in state cookie (core/admin/sign-in.ts). */
  adminSignIn: Buffer;
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
  /** The time (tests inject one); Date.now by default. */
  clock?: () => number;
  /** Where token, authentication and revocation-feed events are counted (core/metrics.ts); nowhere by default. */
  metrics?: CoreMetrics | undefined;
}

/** Builds every service once (the composition step of docs/architecture.md). */
export function buildServices({ config, storage, keys, throttle, redis, derived, audit, adminAs, adminVerifier, clock, metrics }: ServiceParts): Services {
  const sessions = new SessionService({ sessions: storage.sessions, digestKey: derived.sessionDigest, csrfKey: derived.sessionCsrf, config, clock });
  const clientAuth = { clients: storage.clients, throttle, digestKey: derived.clientSecretDigest, config, audit, ...(metrics ? { metrics } : {}) };
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
  const metadataDeps = { config };
  const healthDeps = { database: storage, keys, redis };
  const tenantDeps = { tenants: storage.tenants, grants: storage.grants, clients: storage.clients };
  const adminAuthenticationDeps = { verifier: adminVerifier, clients: storage.clients, realm: config.issuer };
  return {
    token: (request, now) => handleTokenRequest(request, tokenDeps, now),
    introspect: (request, now) => handleIntrospectionRequest(request, lookupDeps, now),
    revoke: (request, now) => handleRevocationRequest(request, lookupDeps, now),
    revocationFeed: metrics
      ? async (request, now) => {
          const changes = await handleRevocationFeedRequest(request, feedDeps, now);
          metrics.revocationFeedRead('remote', changes.revision);
          return changes;
        }
      : (request, now) => handleRevocationFeedRequest(request, feedDeps, now),
    authorization: createAuthorizationFlow({
      clients: storage.clients,
      users: storage.users,
      consents: storage.consents,
      scopes: storage.scopes,
      tenants: storage.tenants,
      codes: storage.codes,
      keys,
      throttle,
      audit,
      config,
      codeDigestKey: derived.codeDigest,
      sessionKey: derived.authorizationSession,
      signInSessions: sessions,
    }),
    metadata: () => readAuthorizationServerMetadata(metadataDeps),
    jwks: () => keys.jwks(),
    health: () => checkHealth(healthDeps),
    tenantsOfToken: (claims) => listTenantsOfToken(claims, tenantDeps),
    adminFor: (principal) => createScopedAdmin({ admin: adminAs(principal.actor), audit }, principal),
    tenantBranding: async (slug) => {
      const tenant = await storage.tenants.findTenantBySlug(slug);
      return tenant && { slug: tenant.slug, name: tenant.name, branding: tenant.branding };
    },
    tenantLogo: (slug) => storage.tenants.findTenantLogo(slug),
    sessions,
    adminAuth: createAdminAuthentication({ accounts: storage.adminAccounts, tenants: storage.tenants, throttle, config, audit, mfaKeys: derived.adminMfa, signInKey: derived.adminSignIn }),
    adminAuthentication: (authorizationHeader) => authenticateAdminRequest(authorizationHeader, adminAuthenticationDeps),
    account: new AccountService({
      users: storage.users,
      grants: storage.grants,
      clients: storage.clients,
      tenants: storage.tenants,
      scopes: storage.scopes,
      consents: storage.consents,
      sessions,
      throttle,
      audit,
      config,
      clock,
    }),
  };
}
