import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdminSignInStep } from '../../../core/admin/sign-in.js';
import { ADMIN_SIGN_IN_TTL_MS } from '../../../core/admin/sign-in.js';
import { ConflictError, ForbiddenError, NotFoundError, StorageUnavailableError, ValidationError } from '../../../core/errors.js';
import { renderAdminSignInPage } from '../../../web/admin/account-pages.js';
import { adminErrorPage, ADMIN_PATHS } from '../../../web/admin/layout.js';
import { CSRF_FIELD } from '../../../web/pages.js';
import { refuseCrossSitePosts } from '../../plugins/same-origin.js';
import { hostCookie } from '../../session-cookie.js';
import type { RouteOptions } from '../oauth.js';
import { accountRoutes } from './account.js';
import { dashboardRoutes } from './dashboard.js';
import { adminForm, adminGuard, adminSessionCookie, sendAdminPage, seeOther, viewerOf } from './guard.js';

const FORM_BODY_LIMIT = 16_384;

/**
 * The dashboard (/admin), server-rendered, usable without JavaScript. Here: the sign-in
 * (password, then the second factor when enrolled; core/admin/sign-in.ts), logout, and
 * the guarded scope every other dashboard page is registered in (guard.ts: the admin
 * session, CSRF on every POST). A section of the dashboard is a plugin
 * `(app, options: RouteOptions) => …` registered in `guarded` below.
 */
export async function adminRoutes(app: FastifyInstance, options: RouteOptions): Promise<void> {
  const { services } = options;
  const auth = services.adminAuth;
  const session = adminSessionCookie(options);
  // The sign-in state (CSRF token; the account awaiting its second factor), sealed.
  const signInState = hostCookie('gatehouse_admin_signin', options.config.issuer);

  // The dashboard's forms are urlencoded, nothing else: any other body is refused (415)
  // before a handler sees it, rather than read as a form (text/plain is what a cross-site
  // form may also send).
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));

  // Every dashboard form (sign-in included) sent from another site: 403 (defence in depth
  // besides the SameSite cookies and the CSRF tokens).
  refuseCrossSitePosts(app, options.config.issuer, (reply) =>
    sendAdminPage(reply, 403, adminErrorPage('Request refused', 'The form was sent from another site. Open the dashboard again and retry.', undefined)),
  );

  // Errors on these routes are pages, not JSON: a person is on the other end.
  app.setErrorHandler((error, request, reply) => {
    const viewer = request.admin ? viewerOf(request.admin, options.site) : undefined;
    if (error instanceof StorageUnavailableError) {
      request.log.error({ err: error.cause }, 'storage unavailable');
      return sendAdminPage(reply.header('retry-after', '5'), 503, adminErrorPage('Temporarily unavailable', 'The service is temporarily unavailable. Please try again in a moment.', viewer));
    }
    if (error instanceof ForbiddenError) return sendAdminPage(reply, 403, adminErrorPage('Not allowed', error.message, viewer));
    if (error instanceof NotFoundError) return sendAdminPage(reply, 404, adminErrorPage('Not found', error.message, viewer));
    if (error instanceof ConflictError) return sendAdminPage(reply, 409, adminErrorPage('Conflict', error.message, viewer));
    if (error instanceof ValidationError) return sendAdminPage(reply, 400, adminErrorPage('Invalid input', error.message, viewer));
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendAdminPage(reply, status, adminErrorPage('Invalid request', 'The request could not be read.', viewer));
    request.log.error({ err: error }, 'unexpected error');
    return sendAdminPage(reply, 500, adminErrorPage('Something went wrong', 'The server encountered an unexpected error.', viewer));
  });

  /** Sends what a step of the sign-in came to: a page, or the new session and the dashboard. */
  const send = async (reply: FastifyReply, step: AdminSignInStep, cookieHeader: string | undefined) => {
    const cookies: string[] = [];
    if (step.state === 'clear') cookies.push(signInState.clear());
    else if (step.state) cookies.push(signInState.set(step.state.set, ADMIN_SIGN_IN_TTL_MS / 1000));
    if (step.kind === 'signed-in') {
      // Always a fresh session (and token) at sign-in: none is carried over (fixation), and
      // one this browser still held (another account's, say) ends.
      await services.sessions.end(session.read(cookieHeader));
      const started = await services.sessions.start('admin', step.account.id);
      cookies.push(session.set(started.token, services.sessions.lifetimes('admin').maxMs / 1000));
      return seeOther(reply.header('set-cookie', cookies), ADMIN_PATHS.home);
    }
    if (cookies.length > 0) reply.header('set-cookie', cookies);
    if (step.retryAfter !== undefined) reply.header('retry-after', String(step.retryAfter));
    return sendAdminPage(reply, step.status, renderAdminSignInPage(step));
  };

  const signedInAccount = async (cookieHeader: string | undefined) => {
    const live = await services.sessions.resume('admin', session.read(cookieHeader));
    return live && (await auth.findAccount(live.subjectId));
  };

  app.get(ADMIN_PATHS.login, async (request, reply) => {
    if (await signedInAccount(request.headers.cookie)) return seeOther(reply, ADMIN_PATHS.home);
    return send(reply, auth.start(signInState.read(request.headers.cookie), Date.now()), request.headers.cookie);
  });

  app.post(ADMIN_PATHS.login, async (request, reply) => {
    const form = adminForm(request);
    const step = await auth.submitPassword(
      signInState.read(request.headers.cookie),
      { csrfToken: form.get(CSRF_FIELD) ?? undefined, username: form.get('username') ?? '', password: form.get('password') ?? '' },
      request.ip,
      Date.now(),
    );
    return send(reply, step, request.headers.cookie);
  });

  app.get(ADMIN_PATHS.secondFactor, async (_request, reply) => seeOther(reply, ADMIN_PATHS.login));

  app.post(ADMIN_PATHS.secondFactor, async (request, reply) => {
    const form = adminForm(request);
    const step = await auth.submitSecondFactor(signInState.read(request.headers.cookie), { csrfToken: form.get(CSRF_FIELD) ?? undefined, code: form.get('code') ?? '' }, Date.now());
    return send(reply, step, request.headers.cookie);
  });

  // Logout ends the session when the form carries its CSRF token (another site cannot log
  // an admin out); with no live session there is nothing to end: back to the sign-in.
  app.post(ADMIN_PATHS.logout, async (request, reply) => {
    const token = session.read(request.headers.cookie);
    const live = await services.sessions.resume('admin', token);
    if (live) {
      if (!services.sessions.csrfTokenMatches(live, adminForm(request).get(CSRF_FIELD) ?? undefined)) {
        return sendAdminPage(reply, 403, adminErrorPage('Request refused', 'The form could not be verified. Go back, reload the page and try again.'));
      }
      await services.sessions.end(token);
    }
    return seeOther(reply.header('set-cookie', session.clear()), ADMIN_PATHS.login);
  });

  await app.register(async function guarded(scope) {
    scope.addHook('preHandler', adminGuard(options));
    await scope.register(accountRoutes, options);
    // The dashboard's sections register here, one line each.
    await scope.register(dashboardRoutes, options);
  });
}
