import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codeDigestKey } from '../../core/authorization-codes.js';
import { denyAuthorization, validateAuthorizationRequest } from '../../core/authorize/index.js';
import { approveAuthorization, chosenTenants, hintedTenant, rememberConsent, tenantChoiceProblem, tenantsFromConsent } from '../../core/authorize/complete.js';
import {
  AUTHORIZATION_SESSION_TTL_MS,
  authorizationSessionKey,
  csrfTokenMatches,
  newAuthorizationSession,
  openAuthorizationSession,
  sealAuthorizationSession,
  withUser,
  type AuthorizationSession,
} from '../../core/authorize/session.js';
import { StorageUnavailableError } from '../../core/errors.js';
import { authenticateUser, LoginError } from '../../core/user-auth.js';
import type { Client, User } from '../../core/types.js';
import { STYLESHEET, STYLESHEET_PATH } from '../../web/assets.js';
import { consentPage, CSRF_FIELD, errorPage, loginPage, PAGE_SECURITY_HEADERS, pageSecurityHeadersFor } from '../../web/pages.js';
import type { Gatehouse } from '../context.js';

const FORM_BODY_LIMIT = 16_384;

/** Reads one cookie from the Cookie header (RFC 6265 §5.4), undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The authorization endpoint (RFC 6749 §3.1) and its pages: GET /oauth/authorize validates
 * the request (src/core/authorize) and shows the login page; POST …/login checks the
 * password (throttled) and shows the consent page, unless a remembered consent covers the
 * request; POST …/consent answers the client. Between the steps the pending request and
 * the user live in a sealed, short-lived cookie (core/authorize/session.ts): any process
 * of a cluster can continue the flow.
 */
export async function authorizeRoutes(app: FastifyInstance, { gatehouse }: { gatehouse: Gatehouse }): Promise<void> {
  const { config, storage, throttle, keys } = gatehouse;
  const sessionKey = authorizationSessionKey(gatehouse.masterKey.key);
  const secure = new URL(config.issuer).protocol === 'https:';
  // __Host-: the browser accepts it only with Secure, Path=/ and no Domain (no subdomain can plant one).
  const cookieName = secure ? '__Host-gatehouse_authz' : 'gatehouse_authz';
  const cookieAttributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const approvalDeps = { codes: storage.codes, keys, config, codeDigestKey: codeDigestKey(gatehouse.masterKey.key) };
  const loginDeps = { users: storage.users, throttle, config };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(PAGE_SECURITY_HEADERS).send(body);
  /** A login or consent page: its form may end in a redirect to `redirectUri`. */
  const formPage = (reply: FastifyReply, status: number, body: string, redirectUri: string) =>
    reply.code(status).headers(pageSecurityHeadersFor(redirectUri)).send(body);
  const setSession = (reply: FastifyReply, session: AuthorizationSession) =>
    reply.header('set-cookie', `${cookieName}=${sealAuthorizationSession(session, sessionKey)}; Max-Age=${AUTHORIZATION_SESSION_TTL_MS / 1000}; ${cookieAttributes}`);
  const clearSession = (reply: FastifyReply) => reply.header('set-cookie', `${cookieName}=; Max-Age=0; ${cookieAttributes}`);
  const redirect = (reply: FastifyReply, location: string) => clearSession(reply).code(302).header('location', location).header('cache-control', 'no-store').send();

  // Errors on these routes are pages, not JSON (the user's browser is on the other end).
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof StorageUnavailableError) {
      request.log.error({ err: error.cause }, 'storage unavailable');
      return page(reply.header('retry-after', '5'), 503, errorPage('Temporarily unavailable', 'The service is temporarily unavailable. Please try again in a moment.'));
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return page(reply, status, errorPage('Invalid request', 'The request could not be read.'));
    request.log.error({ err: error }, 'unexpected error');
    return page(reply, 500, errorPage('Something went wrong', 'The server encountered an unexpected error.'));
  });

  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
  );

  app.get('/oauth/authorize', async (request, reply) => {
    const outcome = await validateAuthorizationRequest(queryOf(request), { clients: storage.clients, issuer: config.issuer });
    if (outcome.kind === 'page') return page(reply, outcome.error.status, errorPage(outcome.error.title, outcome.error.message));
    if (outcome.kind === 'redirect') return redirect(reply, outcome.location);
    const session = newAuthorizationSession(outcome.request, Date.now());
    return formPage(setSession(reply, session), 200, loginPage({ clientName: outcome.client.name, csrfToken: session.csrf }), outcome.request.redirectUri);
  });

  /** The session of a form post, its CSRF token checked; undefined when a page was sent instead. */
  const formSession = (request: FastifyRequest, reply: FastifyReply, form: URLSearchParams): AuthorizationSession | undefined => {
    const session = openAuthorizationSession(readCookie(request.headers.cookie, cookieName), sessionKey, Date.now());
    if (!session) {
      page(clearSession(reply), 400, errorPage('Session expired', 'This sign-in took too long, or cookies are disabled. Go back to the application and start again.'));
      return undefined;
    }
    if (!csrfTokenMatches(session, form.get(CSRF_FIELD) ?? undefined)) {
      page(reply, 403, errorPage('Request refused', 'The form could not be verified. Go back to the application and start again.'));
      return undefined;
    }
    return session;
  };

  /** The client of the session, still registered and enabled; undefined when a page was sent instead. */
  const sessionClient = async (session: AuthorizationSession, reply: FastifyReply): Promise<Client | undefined> => {
    const client = await storage.clients.findClient(session.request.clientId);
    if (client && !client.disabled) return client;
    page(clearSession(reply), 400, errorPage('Unknown application', 'The application that sent you here is not registered, or is disabled.'));
    return undefined;
  };

  const showConsent = async (reply: FastifyReply, session: AuthorizationSession, client: Client, user: User, error?: string) => {
    const catalogue = new Map((await storage.scopes.listScopes(client.tenantId)).map((scope) => [scope.name, scope.description]));
    const redirect = new URL(session.request.redirectUri);
    return formPage(
      setSession(reply, session),
      error ? 400 : 200,
      consentPage({
        clientName: client.name,
        redirectHost: redirect.host || redirect.protocol,
        username: user.username,
        scopes: session.request.scope.map((name) => ({ name, description: catalogue.get(name) ?? '' })),
        tenants: user.tenants,
        checkedTenant: hintedTenant(session.request, user),
        csrfToken: session.csrf,
        ...(error ? { error } : {}),
      }),
      session.request.redirectUri,
    );
  };

  app.post('/oauth/authorize/login', async (request, reply) => {
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    const session = formSession(request, reply, form);
    if (!session) return reply;
    const client = await sessionClient(session, reply);
    if (!client) return reply;
    const username = form.get('username') ?? '';
    const now = Date.now();
    let user: User;
    try {
      user = await authenticateUser({ username, password: form.get('password') ?? '', ip: request.ip }, loginDeps, now);
    } catch (error) {
      if (!(error instanceof LoginError)) throw error;
      if (error.code === 'throttled') {
        return page(reply.header('retry-after', String(error.retryAfter ?? 60)), 429, errorPage('Too many attempts', 'Too many failed sign-in attempts. Wait a minute, then try again.'));
      }
      // One message whatever failed: the page must not tell which usernames exist.
      return formPage(reply, 401, loginPage({ clientName: client.name, csrfToken: session.csrf, error: 'Incorrect username or password.', username }), session.request.redirectUri);
    }
    const signedIn = withUser(session, user.id, now);
    const remembered = tenantsFromConsent(await storage.consents.findConsent(user.id, client.id), signedIn.request, user);
    if (remembered !== undefined) {
      const location = await approveAuthorization({ request: signedIn.request, client, user: signedIn.user!, tenants: remembered }, approvalDeps, now);
      return redirect(reply, location);
    }
    return showConsent(reply, signedIn, client, user);
  });

  app.post('/oauth/authorize/consent', async (request, reply) => {
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    const session = formSession(request, reply, form);
    if (!session) return reply;
    if (!session.user) return page(clearSession(reply), 400, errorPage('Not signed in', 'Sign in first: go back to the application and start again.'));
    const client = await sessionClient(session, reply);
    if (!client) return reply;
    const decision = form.get('decision');
    if (decision === 'deny') return redirect(reply, denyAuthorization(session.request, config.issuer));
    const user = await storage.users.findUser(session.user.id);
    if (!user || user.disabled) return redirect(reply, denyAuthorization(session.request, config.issuer));
    if (decision !== 'allow') return showConsent(reply, session, client, user, 'Choose Allow or Deny.');
    const tenants = chosenTenants(form.getAll('tenant'), user);
    const problem = tenantChoiceProblem(tenants, user, session.request);
    if (problem) return showConsent(reply, session, client, user, problem);
    await rememberConsent(storage.consents, user.id, session.request, tenants);
    const location = await approveAuthorization({ request: session.request, client, user: session.user, tenants }, approvalDeps, Date.now());
    return redirect(reply, location);
  });
}

function queryOf(request: FastifyRequest): string {
  const question = request.url.indexOf('?');
  return question === -1 ? '' : request.url.slice(question + 1);
}
