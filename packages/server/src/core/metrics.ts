import type { Client } from './types.js';

/** The client a counted event concerns: only its id and tenant (labels when the operator opts in). */
export type MetricsClient = Pick<Client, 'id' | 'tenantSlug'>;

/**
 * What the core reports for the operators' metrics (docs/monitoring.md). The server
 * implements it with prom-client (server/metrics.ts); the core only counts events, never
 * imports a metrics library, and passes nothing secret: a grant type, a known client (its
 * id and tenant, which the implementation labels only when `metricsClientLabels` is on).
 * Each call is one counter increment: the token endpoint is on the hot path.
 */
export interface CoreMetrics {
  /** An access token was issued by the token endpoint (`grantType`: the RFC 6749 grant_type). */
  tokenIssued(grantType: string, client: MetricsClient): void;
  /** A client authentication failed (401 or 429); `client` only when the presented id names an existing client. */
  clientAuthenticationFailed(client: MetricsClient | undefined): void;
  /** RFC 9700 §4.14.2: a rotated refresh token was presented again; its family was revoked. */
  refreshTokenReuse(client: MetricsClient): void;
  /** RFC 6749 §4.1.2: an authorization code was presented again; its grant was revoked. */
  authorizationCodeReplay(client: MetricsClient): void;
  /**
   * A follower of the revocation feed read it up to `revision`: `remote` (GET
   * /oauth/revocations, the resource servers), `document_api` or `admin_api` (this
   * process's own verifiers, which read the store directly).
   */
  revocationFeedRead(follower: RevocationFeedFollower, revision: number): void;
}

export type RevocationFeedFollower = 'remote' | 'document_api' | 'admin_api';

/** Counts nothing (CLI commands; a server without a management listener). */
export const noMetrics: CoreMetrics = {
  tokenIssued: () => {},
  clientAuthenticationFailed: () => {},
  refreshTokenReuse: () => {},
  authorizationCodeReplay: () => {},
  revocationFeedRead: () => {},
};
