import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationStep, ConsentForm, LoginForm } from '../../core/authorize/flow.js';
import { AUTHORIZATION_SESSION_TTL_MS } from '../../core/authorize/session.js';
import { StorageUnavailableError } from '../../core/errors.js';
import { tenantAppearance } from '../../web/branding.js';
import { CSRF_FIELD, errorPage, PAGE_SECURITY_HEADERS, pageSecurityHeadersFor, renderAuthorizationPage, type PageAppearance } from '../../web/pages.js';
import { refuseCrossSitePosts } from '../plugins/same-origin.js';
import { readCookie, sessionCookie } from '../session-cookie.js';
import type { RouteOptions } from './oauth.js';


const FORM_BODY_LIMIT = 16_384;

function formOf(request: FastifyRequest): URLSearchParams {
  return new URLSearchParams(typeof request.body === 'string' ? request.body : '');
}

function readLoginForm(form: URLSearchParams): LoginForm {
  return { csrfToken: form.get(CSRF_FIELD) ?? undefined, username: form.get('username') ?? '', password: form.get('password') ?? '' };
}

function readConsentForm(form: URLSearchParams): ConsentForm {
  return { csrfToken: form.get(CSRF_FIELD) ?? undefined, decision: form.get('decision') ?? undefined, tenants: form.getAll('tenant') };
}

/**
 * The authorization endpoint (RFC 6749 §3.1) and its pages. The flow is decided in core
 * (core/authorize/flow.ts): GET /oauth/authorize starts it, POST …/login and
 * POST …/consent continue it. Here: read the query, form and session cookie, call the
 * step, then render its page (web/pages.ts) or redirect, setting or clearing the cookie.
 */
export async function authorizeRoutes(app: FastifyInstance, { config, services, site }: RouteOptions): Promise<void> {
  const flow = services.authorization;
  const secure = new URL(config.issuer).protocol === 'https:';
  // __Host-: the browser accepts it only with Secure, Path=/ and no Domain (no subdomain can plant one).
  const cookieName = secure ? '__Host-gatehouse_authz' : 'gatehouse_authz';
  const cookieAttributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const sessionOf = (request: FastifyRequest) => readCookie(request.headers.cookie, cookieName);
  // The sign-in session (shared with /account): started by a login, skips the next one.
  const signInCookie = sessionCookie('user', config.issuer);
  const signInOf = (request: FastifyRequest) => signInCookie.read(request.headers.cookie);

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(PAGE_SECURITY_HEADERS).send(body);
  // A login or consent form sent from another site: 403, whatever its cookie (defence in depth).
  refuseCrossSitePosts(app, config.issuer, (reply) =>
    page(reply, 403, errorPage('Request refused', 'The form was sent from another site. Go back to the application and sign in again.', { site })),
  );

  /** What a page wears: the deployment's site, and the client's tenant on the login and consent pages. */
  const appearanceOf = async (step: AuthorizationStep): Promise<PageAppearance> => {
    if (step.kind !== 'page' || step.page === 'error') return { site };
    const tenant = step.model.tenantSlug === null ? undefined : await services.tenantBranding(step.model.tenantSlug);
    return { site, ...(tenant ? { tenant: tenantAppearance(tenant) } : {}) };
  };

  /** Sends what a step of the flow came to. */
  const send = async (reply: FastifyReply, step: AuthorizationStep) => {
    const cookies: string[] = [];
    if (step.session === 'clear') cookies.push(`${cookieName}=; Max-Age=0; ${cookieAttributes}`);
    else if (step.session) cookies.push(`${cookieName}=${step.session.set}; Max-Age=${AUTHORIZATION_SESSION_TTL_MS / 1000}; ${cookieAttributes}`);
    if (step.signIn) cookies.push(signInCookie.set(step.signIn.set, step.signIn.maxAgeSeconds));
    if (cookies.length > 0) reply.header('set-cookie', cookies);
    if (step.kind === 'redirect') return reply.code(302).header('location', step.location).header('cache-control', 'no-store').send();
    if (step.retryAfter !== undefined) reply.header('retry-after', String(step.retryAfter));
    // A login or consent form may end in a redirect to the client: its CSP allows that origin.
    const headers = step.page === 'error' ? PAGE_SECURITY_HEADERS : pageSecurityHeadersFor(step.redirectUri);
    return reply.code(step.status).headers(headers).send(renderAuthorizationPage(step, await appearanceOf(step)));
  };

  // Errors on these routes are pages, not JSON (the user's browser is on the other end).
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof StorageUnavailableError) {
      request.log.error({ err: error.cause }, 'storage unavailable');
      return page(reply.header('retry-after', '5'), 503, errorPage('Temporarily unavailable', 'The service is temporarily unavailable. Please try again in a moment.', { site }));
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return page(reply, status, errorPage('Invalid request', 'The request could not be read.', { site }));
    request.log.error({ err: error }, 'unexpected error');
    return page(reply, 500, errorPage('Something went wrong', 'The server encountered an unexpected error.', { site }));
  });

  app.get('/oauth/authorize', async (request, reply) => send(reply, await flow.start(queryOf(request), Date.now(), signInOf(request))));

  app.post('/oauth/authorize/login', async (request, reply) =>
    send(reply, await flow.submitLogin(sessionOf(request), readLoginForm(formOf(request)), request.ip, Date.now(), signInOf(request))),
  );

  app.post('/oauth/authorize/consent', async (request, reply) =>
    send(reply, await flow.submitConsent(sessionOf(request), readConsentForm(formOf(request)), Date.now())),
  );
}

function queryOf(request: FastifyRequest): string {
  const question = request.url.indexOf('?');
  return question === -1 ? '' : request.url.slice(question + 1);
}
