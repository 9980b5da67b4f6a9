import type { AuditRecorder } from '../audit.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { Config } from '../config.js';
import type { KeyRing } from '../keys.js';
import type { CoreMetrics } from '../metrics.js';
import type { Params } from '../params.js';
import type { CodeStore, GrantStore, RefreshTokenStore, UserStore } from '../storage.js';
import type { GrantType } from '../types.js';

/** The RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Absent when no scope was granted. */
  scope?: string;
  refresh_token?: string;
}

/** What every grant handler may use; a grant takes only the members it needs. */
export interface GrantDeps {
  keys: Pick<KeyRing, 'signingKey'>;
  config: Pick<Config, 'issuer' | 'audience' | 'accessTokenTtl' | 'maxAccessTokenTtl'>;
  codes: Pick<CodeStore, 'consumeCode' | 'findCode'>;
  grants: Pick<GrantStore, 'createGrant' | 'findGrant' | 'revokeGrant' | 'revokeGrantByCode'>;
  refreshTokens: Pick<RefreshTokenStore, 'createRefreshToken' | 'findRefreshToken' | 'rotateRefreshToken'>;
  users: Pick<UserStore, 'findUser'>;
  /** HMAC key of authorization code digests (codeDigestKey). */
  codeDigestKey: Buffer;
  /** HMAC key of refresh token digests (refreshTokenDigestKey). */
  refreshTokenDigestKey: Buffer;
  /** Records refresh-token reuse and code replay (core/audit.ts). */
  audit: AuditRecorder;
  /** Counts issued tokens, refresh-token reuse and code replay (core/metrics.ts); none when absent. */
  metrics?: CoreMetrics;
}

export interface GrantContext {
  authenticated: AuthenticatedClient;
  params: Params;
  now: number;
}

export interface Grant {
  type: GrantType;
  /** Whether a public client (no secret) may use the grant. */
  allowsPublicClients: boolean;
  handle(context: GrantContext, deps: GrantDeps): Promise<TokenResponse>;
}
