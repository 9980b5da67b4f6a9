/**
 * What a step of the authorization flow (flow.ts) comes to: a page to show, with the
 * plain values its template renders (web/pages.ts), or a redirect to the client. The
 * HTTP layer only renders the page, sets or clears the session cookie and sends it.
 */

export interface LoginPageModel {
  clientName: string;
  /** The client's tenant: the page wears its branding (null: an operator client, no tenant). */
  tenantSlug: string | null;
  csrfToken: string;
  /** The one message of a failed attempt (it never tells what failed). */
  error?: string;
  /** The username typed, shown again after a failed attempt. */
  username?: string;
}

export interface ConsentPageModel {
  clientName: string;
  /** The client's tenant: the page wears its branding (null: an operator client, no tenant). */
  tenantSlug: string | null;
  /**
   * Who registered the application: its tenant's display name (and slug), or for an
   * operator client (no tenant) the deployment's product name. `foreign`: the user is not
   * a member of that tenant (a client of tenant A asking a user of tenant B).
   */
  registeredBy: { name: string; slug: string | null; foreign: boolean };
  redirectHost: string;
  username: string;
  scopes: { name: string; description: string }[];
  /** The user's tenants, by display name; a picker is shown when there are several. */
  tenants: { slug: string; name: string }[];
  /**
   * The picker's tenants checked from the start: those granted before plus the request's
   * tenant hint (complete.ts, preCheckedTenants); the user may change them.
   */
  checkedTenants: string[];
  csrfToken: string;
  error?: string;
}

export interface ErrorPageModel {
  title: string;
  message: string;
}

/**
 * The page to show. The login and consent pages carry the redirect URI their form may
 * end in (the route allows it in the CSP's form-action); an error page ends nothing.
 */
export type AuthorizationPage =
  | { page: 'login'; model: LoginPageModel; redirectUri: string }
  | { page: 'consent'; model: ConsentPageModel; redirectUri: string }
  | { page: 'error'; model: ErrorPageModel };

/** What to do with the session cookie: set it to a sealed session, or clear it. */
export type SessionUpdate = { set: string } | 'clear';

/**
 * What to do with the sign-in session cookie (core/sessions.ts): set it to the token of
 * a session started by a login, kept by the browser `maxAgeSeconds`. Absent: as it is.
 */
export interface SignInUpdate {
  set: string;
  maxAgeSeconds: number;
}

export type AuthorizationPageStep = AuthorizationPage & {
  kind: 'page';
  status: number;
  /** Absent: the session cookie stays as the browser has it. */
  session?: SessionUpdate;
  /** Seconds before trying again (the Retry-After header), on a throttled attempt. */
  retryAfter?: number;
  /** A login started a sign-in session. */
  signIn?: SignInUpdate;
};

/** The answer to the client (RFC 6749 §4.1.2): the flow is over, its session is cleared. */
export interface AuthorizationRedirect {
  kind: 'redirect';
  location: string;
  session: 'clear';
  /** A login started a sign-in session. */
  signIn?: SignInUpdate;
}

export type AuthorizationStep = AuthorizationPageStep | AuthorizationRedirect;

/** The login form as posted. */
export interface LoginForm {
  csrfToken: string | undefined;
  username: string;
  password: string;
}

/** The consent form as posted: the button pressed and the tenants ticked. */
export interface ConsentForm {
  csrfToken: string | undefined;
  decision: string | undefined;
  tenants: string[];
}

export function errorStep(status: number, title: string, message: string, session?: SessionUpdate): AuthorizationPageStep {
  return { kind: 'page', status, page: 'error', model: { title, message }, ...(session ? { session } : {}) };
}

export function redirectStep(location: string): AuthorizationRedirect {
  return { kind: 'redirect', location, session: 'clear' };
}
