import type { CodeChallengeMethod } from '../types.js';

/**
 * The response types of the authorization endpoint: `code` (RFC 6749 §4.1, with PKCE) and
 * the legacy `token` (implicit, RFC 6749 §4.2), which only clients registered with the
 * `implicit` grant type may use. RFC 9700 §2.1.2 deprecates the implicit grant: the access
 * token travels in the browser's URL (history, Referer, extensions, open redirectors), is
 * not sender-constrained, and cannot be bound to the client that asked. It is offered only
 * for providers whose integrators still need it, per client, with a short lifetime and no
 * refresh token.
 */
export type ResponseType = 'code' | 'token';

/**
 * The values of the `prompt` parameter (OpenID Connect Core 1.0 §3.1.2.1; OAuth clients
 * send it too): `none` (show no page: answer at once, or with an error), `login` (sign in
 * again), `consent` (ask for consent even when a remembered consent covers the request),
 * `select_account` (choose the account: here, sign in).
 */
export const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPTS)[number];

/** A validated authorization request: the client and redirect URI are known to be good. */
export interface AuthorizationRequest {
  clientId: string;
  /** The redirect URI the response goes to (as requested, or the one registered). */
  redirectUri: string;
  /**
   * True when the request left `redirect_uri` out (a client with one registered URI,
   * RFC 6749 §3.1.2.3): the token request may then leave it out too (§4.1.3). Absent when
   * the request carried it (and in sessions sealed before this was recorded).
   */
  redirectUriOmitted?: true;
  responseType: ResponseType;
  /** Granted scope, sorted (RFC 6749 §3.3). */
  scope: string[];
  state: string | undefined;
  codeChallenge: string | null;
  codeChallengeMethod: CodeChallengeMethod | null;
  /**
   * The `tenant` hint: the tenant the client expects the user to pick. It only pre-selects
   * that tenant on the consent page (when the user belongs to it) and grants nothing.
   * Absent when the request had none (and in sessions sealed before the hint existed).
   */
  tenantHint?: string;
  /**
   * The `prompt` values asked for, without duplicates (never `none` with another).
   * Absent when the request had none (and in sessions sealed before it was recorded).
   */
  prompt?: Prompt[];
}

/**
 * A failure that must not be redirected (RFC 6749 §4.1.2.1): the client or its redirect
 * URI could not be verified, so the user sees an error page instead — never a redirect to
 * an unverified URI (an open redirector).
 */
export class AuthorizationPageError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(title: string, message: string, status = 400) {
    super(message);
    this.name = 'AuthorizationPageError';
    this.title = title;
    this.status = status;
  }
}
