import { ConflictError } from '../errors.js';
import type { Config } from '../config.js';
import type { SessionService } from '../sessions.js';
import type { ClientStore, ConsentStore, ScopeStore, TenantStore, UserStore } from '../storage.js';
import type { Client, Consent, User } from '../types.js';
import { authenticateUser, LoginError, type UserAuthDeps } from '../user-auth.js';
import { approveAuthorization, chosenTenants, preCheckedTenants, rememberConsent, tenantChoiceProblem, tenantsFromConsent, type Approval, type ApprovalDeps } from './complete.js';
import { denyAuthorization, promptNoneRefused, validateAuthorizationRequest } from './index.js';
import { csrfTokenMatches, newAuthorizationSession, openAuthorizationSession, sealAuthorizationSession, withUser, type AuthorizationSession } from './session.js';
import { errorStep, redirectStep, type AuthorizationPageStep, type AuthorizationStep, type ConsentForm, type LoginForm, type SignInUpdate } from './steps.js';
import type { AuthorizationRequest, Prompt } from './types.js';

export type * from './steps.js';

/**
 * The authorization flow (RFC 6749 §4.1, §4.2) as three steps, each a function from the
 * state (the sealed session the browser sends back) and the input (query or form) to
 * the next page or the redirect to the client:
 *
 *   startAuthorization   GET /oauth/authorize          → login page (new session) | error page | error redirect
 *   submitLogin          POST /oauth/authorize/login   → consent page | redirect (remembered consent) | login page again
 *   submitConsent        POST /oauth/authorize/consent → redirect (code, token or access_denied) | consent page again
 *
 * Between the steps the pending request and the user live in the sealed session
 * (session.ts), so any process of a cluster can continue the flow. Every form must carry
 * the session's CSRF token.
 *
 * A login also starts the user's sign-in session (core/sessions.ts, a cookie of its own,
 * shared with /account): while it lives, GET /oauth/authorize skips the login page (the
 * user is still reloaded: a disabled user, or one who left the remembered tenants, is
 * treated accordingly) and goes to the consent page, or straight back to the client when
 * a remembered consent covers the request.
 *
 * The `prompt` parameter (OpenID Connect Core 1.0 §3.1.2.1) steers the pages: `none` may
 * show none (no sign-in session: `login_required`; signed in without a covering consent:
 * `consent_required`, §3.1.2.6), `login` and `select_account` ask for the password even
 * with a sign-in session (mustSignIn), `consent` shows the consent page even when a
 * remembered consent covers the request.
 */

export interface AuthorizationFlowDeps extends ApprovalDeps {
  clients: Pick<ClientStore, 'findClient'>;
  users: Pick<UserStore, 'findUser'> & UserAuthDeps['users'];
  consents: Pick<ConsentStore, 'findConsent' | 'saveConsent'>;
  scopes: Pick<ScopeStore, 'listScopes'>;
  /** For the display names of the user's tenants on the consent page. */
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  throttle: UserAuthDeps['throttle'];
  audit: UserAuthDeps['audit'];
  /** productName: who registered an operator client, on the consent page. */
  config: ApprovalDeps['config'] & UserAuthDeps['config'] & Pick<Config, 'productName'>;
  /** authorizationSessionKey(masterKey) (session.ts): seals the session. */
  sessionKey: Buffer;
  /** The end users' sign-in sessions (kind `user`). */
  signInSessions: Pick<SessionService, 'start' | 'resume' | 'end' | 'lifetimes'>;
}

/**
 * GET /oauth/authorize: validate the request (index.ts); then, signed in (a live sign-in
 * session, `signInToken` from its cookie) and not asked to sign in again, go on as after
 * a login; otherwise ask the user to sign in.
 */
export async function startAuthorization(query: string, deps: AuthorizationFlowDeps, now: number, signInToken?: string): Promise<AuthorizationStep> {
  const outcome = await validateAuthorizationRequest(query, { clients: deps.clients, issuer: deps.config.issuer });
  if (outcome.kind === 'page') return errorStep(outcome.error.status, outcome.error.title, outcome.error.message);
  if (outcome.kind === 'redirect') return redirectStep(outcome.location);
  const { request, client } = outcome;
  const signedIn = await resumeSignIn(signInToken, deps);
  if (mustSignIn(request, signedIn !== undefined)) {
    // OpenID Connect Core 1.0 §3.1.2.1: with prompt=none no page may be shown.
    if (prompts(request, 'none')) return redirectStep(promptNoneRefused(request, deps.config.issuer, 'login_required'));
    const session = newAuthorizationSession(request, now);
    return {
      kind: 'page',
      status: 200,
      page: 'login',
      model: { clientName: client.name, tenantSlug: client.tenantSlug, csrfToken: session.csrf },
      redirectUri: request.redirectUri,
      session: { set: sealAuthorizationSession(session, deps.sessionKey) },
    };
  }
  const { user, authTime } = signedIn!;
  const session = withUser(newAuthorizationSession(request, now), user.id, authTime);
  const consent = await deps.consents.findConsent(user.id, client.id);
  const remembered = prompts(request, 'consent') ? undefined : tenantsFromConsent(consent, request, user);
  if (remembered !== undefined) return approveOnce({ request, client, user: session.user!, tenants: remembered }, session, deps, now);
  // §3.1.2.6: consent_required, the consent page may not be shown either.
  if (prompts(request, 'none')) return redirectStep(promptNoneRefused(request, deps.config.issuer, 'consent_required'));
  return consentStep(session, client, user, consent, deps);
}

/**
 * The user of a live sign-in session, reloaded (enabled, current tenants), and when they
 * signed in (the `auth_time` of what is issued); undefined when there is none.
 */
async function resumeSignIn(token: string | undefined, deps: Pick<AuthorizationFlowDeps, 'signInSessions' | 'users'>): Promise<{ user: User; authTime: number } | undefined> {
  if (token === undefined) return undefined;
  const session = await deps.signInSessions.resume('user', token);
  if (!session) return undefined;
  const user = await deps.users.findUser(session.subjectId);
  // Disabling a user ends its sessions; checked again here all the same.
  if (!user || user.disabled) return undefined;
  return { user, authTime: session.createdAt };
}

/**
 * POST /oauth/authorize/login: check the password (throttled, user-auth.ts). Signed in,
 * the user sees the consent page, unless a remembered consent covers the request: then
 * the client gets its answer at once.
 */
export async function submitLogin(
  sealed: string | undefined,
  form: LoginForm,
  address: string,
  deps: AuthorizationFlowDeps,
  now: number,
  signInToken?: string,
): Promise<AuthorizationStep> {
  const session = openFormSession(sealed, form.csrfToken, deps, now);
  if ('kind' in session) return session;
  const client = await findSessionClient(session, deps);
  if (!client) return unknownApplication();
  let user: User;
  try {
    user = await authenticateUser({ username: form.username, password: form.password, ip: address }, deps, now);
  } catch (error) {
    if (!(error instanceof LoginError)) throw error;
    if (error.code === 'throttled') {
      return { ...errorStep(429, 'Too many attempts', 'Too many failed sign-in attempts. Wait a minute, then try again.'), retryAfter: error.retryAfter ?? 60 };
    }
    // One message whatever failed: the page must not tell which usernames exist.
    return {
      kind: 'page',
      status: 401,
      page: 'login',
      model: { clientName: client.name, tenantSlug: client.tenantSlug, csrfToken: session.csrf, error: 'Incorrect username or password.', username: form.username },
      redirectUri: session.request.redirectUri,
    };
  }
  const signIn = await startSignIn(user.id, signInToken, deps);
  const signedIn = withUser(session, user.id, now);
  const consent = await deps.consents.findConsent(user.id, client.id);
  // prompt=consent: ask even when the remembered consent covers the request.
  const remembered = prompts(signedIn.request, 'consent') ? undefined : tenantsFromConsent(consent, signedIn.request, user);
  if (remembered !== undefined) {
    return { ...(await approveOnce({ request: signedIn.request, client, user: signedIn.user!, tenants: remembered }, signedIn, deps, now)), signIn };
  }
  return { ...(await consentStep(signedIn, client, user, consent, deps)), signIn };
}

/**
 * A login starts a new sign-in session, always with a fresh token (no fixation), and ends
 * the one the browser had (another user's, or one prompt=login asked to renew).
 */
async function startSignIn(userId: string, previousToken: string | undefined, deps: Pick<AuthorizationFlowDeps, 'signInSessions'>): Promise<SignInUpdate> {
  if (previousToken !== undefined) await deps.signInSessions.end(previousToken);
  const { token, session } = await deps.signInSessions.start('user', userId);
  return { set: token, maxAgeSeconds: Math.ceil((session.absoluteExpiresAt - session.createdAt) / 1000) };
}

/**
 * POST /oauth/authorize/consent: Deny sends `access_denied` to the client; Allow, with
 * an acceptable choice of tenants, remembers the consent and sends the code (or token).
 * A user disabled since signing in is refused like a denial.
 */
export async function submitConsent(sealed: string | undefined, form: ConsentForm, deps: AuthorizationFlowDeps, now: number): Promise<AuthorizationStep> {
  const session = openFormSession(sealed, form.csrfToken, deps, now);
  if ('kind' in session) return session;
  if (!session.user) return errorStep(400, 'Not signed in', 'Sign in first: go back to the application and start again.', 'clear');
  const client = await findSessionClient(session, deps);
  if (!client) return unknownApplication();
  if (form.decision === 'deny') return redirectStep(denyAuthorization(session.request, deps.config.issuer));
  const user = await deps.users.findUser(session.user.id);
  if (!user || user.disabled) return redirectStep(denyAuthorization(session.request, deps.config.issuer));
  if (form.decision !== 'allow') return consentStep(session, client, user, await deps.consents.findConsent(user.id, client.id), deps, 'Choose Allow or Deny.');
  const tenants = chosenTenants(form.tenants, user);
  const problem = tenantChoiceProblem(tenants, user, session.request);
  if (problem) return consentStep(session, client, user, await deps.consents.findConsent(user.id, client.id), deps, problem);
  await rememberConsent(deps.consents, user.id, session.request, tenants);
  return approveOnce({ request: session.request, client, user: session.user, tenants }, session, deps, now);
}

/**
 * The client's answer for an approval of this session, once: a session that approved
 * before (a resent login or consent form) or was sealed before sessions carried a nonce
 * gets an error page and no second code or token (approvalCode).
 */
async function approveOnce(
  approval: Omit<Approval, 'nonce'>,
  session: AuthorizationSession,
  deps: AuthorizationFlowDeps,
  now: number,
): Promise<AuthorizationStep> {
  const used = () => errorStep(400, 'Already answered', 'This sign-in was already answered. Go back to the application and start again.', 'clear');
  if (session.nonce === undefined) return used();
  try {
    return redirectStep(await approveAuthorization({ ...approval, nonce: session.nonce }, deps, now));
  } catch (error) {
    if (error instanceof ConflictError) return used();
    throw error;
  }
}

/** The flow with its dependencies bound: what the composition root hands to the routes. */
export interface AuthorizationFlow {
  /** `signInToken`: the sign-in session cookie, when the browser sent one. */
  start(query: string, now: number, signInToken?: string): Promise<AuthorizationStep>;
  submitLogin(sealedSession: string | undefined, form: LoginForm, address: string, now: number, signInToken?: string): Promise<AuthorizationStep>;
  submitConsent(sealedSession: string | undefined, form: ConsentForm, now: number): Promise<AuthorizationStep>;
}

export function createAuthorizationFlow(deps: AuthorizationFlowDeps): AuthorizationFlow {
  return {
    start: (query, now, signInToken) => startAuthorization(query, deps, now, signInToken),
    submitLogin: (sealed, form, address, now, signInToken) => submitLogin(sealed, form, address, deps, now, signInToken),
    submitConsent: (sealed, form, now) => submitConsent(sealed, form, deps, now),
  };
}

/**
 * The session of a form post, or the error page to show instead: a session that is
 * absent, forged or expired ends the flow (400, cleared); a form without the session's
 * CSRF token is refused (403) and the session left as it is, for the genuine form.
 */
export function openFormSession(
  sealed: string | undefined,
  csrfToken: string | undefined,
  deps: Pick<AuthorizationFlowDeps, 'sessionKey'>,
  now: number,
): AuthorizationSession | AuthorizationPageStep {
  const session = openAuthorizationSession(sealed, deps.sessionKey, now);
  if (!session) return errorStep(400, 'Session expired', 'This sign-in took too long, or cookies are disabled. Go back to the application and start again.', 'clear');
  if (!csrfTokenMatches(session, csrfToken)) return errorStep(403, 'Request refused', 'The form could not be verified. Go back to the application and start again.');
  return session;
}

/** The client of the session, if it is still registered and enabled. */
async function findSessionClient(session: AuthorizationSession, deps: Pick<AuthorizationFlowDeps, 'clients'>): Promise<Client | undefined> {
  const client = await deps.clients.findClient(session.request.clientId);
  return client && !client.disabled && !client.tenantDisabled ? client : undefined;
}

function unknownApplication(): AuthorizationPageStep {
  return errorStep(400, 'Unknown application', 'The application that sent you here is not registered, or is disabled.', 'clear');
}

/** Whether the request's `prompt` includes `value`. */
function prompts(request: Pick<AuthorizationRequest, 'prompt'>, value: Prompt): boolean {
  return request.prompt?.includes(value) ?? false;
}

/**
 * Whether the user must sign in (see the login page) for this request: when not signed in,
 * and always with `prompt=login` or `prompt=select_account` (OpenID Connect Core 1.0
 * §3.1.2.1: re-authenticate; choose the account, which here means signing in as it), so
 * that a sign-in session, once there is one, is not reused for them.
 */
export function mustSignIn(request: Pick<AuthorizationRequest, 'prompt'>, signedIn: boolean): boolean {
  return !signedIn || prompts(request, 'login') || prompts(request, 'select_account');
}

/**
 * The consent page (400 with the problem of a rejected submission), the session (re)sealed,
 * the tenants of the remembered consent and the hinted one checked from the start.
 */
async function consentStep(session: AuthorizationSession, client: Client, user: User, consent: Consent | undefined, deps: AuthorizationFlowDeps, error?: string): Promise<AuthorizationPageStep> {
  const catalogue = new Map((client.tenantId === null ? [] : await deps.scopes.listScopes(client.tenantId)).map((scope) => [scope.name, scope.description]));
  // The user's tenants by display name (a user belongs to a few; a removed one keeps its slug).
  const tenants = await Promise.all(user.tenants.map(async ({ slug }) => ({ slug, name: (await deps.tenants.findTenantBySlug(slug))?.name ?? slug })));
  const redirect = new URL(session.request.redirectUri);
  // Who registered the application, so a user sees a client of another organisation for what it is.
  const registeredBy =
    client.tenantSlug === null
      ? { name: deps.config.productName, slug: null, foreign: false }
      : {
          name: (await deps.tenants.findTenantBySlug(client.tenantSlug))?.name ?? client.tenantSlug,
          slug: client.tenantSlug,
          foreign: !user.tenants.some(({ slug }) => slug === client.tenantSlug),
        };
  return {
    kind: 'page',
    status: error ? 400 : 200,
    page: 'consent',
    model: {
      clientName: client.name,
      tenantSlug: client.tenantSlug,
      registeredBy,
      redirectHost: redirect.host || redirect.protocol,
      username: user.username,
      scopes: session.request.scope.map((name) => ({ name, description: catalogue.get(name) ?? '' })),
      tenants,
      checkedTenants: preCheckedTenants(consent, session.request, user),
      csrfToken: session.csrf,
      ...(error ? { error } : {}),
    },
    redirectUri: session.request.redirectUri,
    session: { set: sealAuthorizationSession(session, deps.sessionKey) },
  };
}
