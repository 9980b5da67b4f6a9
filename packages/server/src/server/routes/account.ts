import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newCsrfNonce } from '../../core/sessions.js';
import { StorageUnavailableError } from '../../core/errors.js';
import { accountPage, accountSignInPage, ACCOUNT_PATH, isAccountNotice, type AccountNotice } from '../../web/account.js';
import { CSRF_FIELD, errorPage, PAGE_SECURITY_HEADERS } from '../../web/pages.js';
import { refuseCrossSitePosts } from '../plugins/same-origin.js';
import { hostCookie, sessionCookie } from '../session-cookie.js';
import type { RouteOptions } from './oauth.js';

const FORM_BODY_LIMIT = 16_384;
/** How long a sign-in form may stay open before its CSRF nonce cookie lapses (1 hour). */
const SIGN_IN_FORM_TTL_SECONDS = 3600;

/**
 * The end user's /account (issue 14; core/account.ts decides, web/account.ts renders):
 *
 *   GET  /account           the account page when signed in (the sign-in session shared
 *                           with /oauth/authorize), else the sign-in form
 *   POST /account/login     sign in (throttled like the authorization login page)
 *   POST /account/revoke    revoke an application's access (client_id)
 *   POST /account/password  change the password (the other sessions end)
 *   POST /account/logout    sign out
 *
 * Every form carries a CSRF token: the session's (HMAC of its id), or before a session
 * exists, one bound to a random nonce in a cookie of its own (signed double submit). A
 * POST without the right one is refused (403). Successful posts answer 303 to /account
 * (post/redirect/get), with a notice from a closed set.
 */
export async function accountRoutes(app: FastifyInstance, { config, services }: RouteOptions): Promise<void> {
  const { account, sessions } = services;
  const signIn = sessionCookie('user', config.issuer);
  const nonceCookie = hostCookie('gatehouse_account_csrf', config.issuer);
  const tokenOf = (request: FastifyRequest) => signIn.read(request.headers.cookie);

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(PAGE_SECURITY_HEADERS).send(body);
  const seeAccount = (reply: FastifyReply, notice?: AccountNotice, cookies: string[] = []) => {
    if (cookies.length > 0) reply.header('set-cookie', cookies);
    return reply.code(303).header('location', notice ? `${ACCOUNT_PATH}?notice=${notice}` : ACCOUNT_PATH).header('cache-control', 'no-store').send();
  };
  const refused = (reply: FastifyReply) => page(reply, 403, errorPage('Request refused', 'The form could not be verified. Open your account page again and retry.'));
  // A form sent from another site: 403 before the cookie or the CSRF token is looked at.
  refuseCrossSitePosts(app, config.issuer, refused);

  /** The sign-in form, with a fresh nonce cookie and the CSRF token bound to it. */
  const signInForm = (reply: FastifyReply, status: number, input: { error?: string; username?: string; notice?: AccountNotice } = {}) => {
    const nonce = newCsrfNonce();
    reply.header('set-cookie', nonceCookie.set(nonce, SIGN_IN_FORM_TTL_SECONDS));
    return page(reply, status, accountSignInPage({ csrfToken: sessions.preSessionCsrfToken(nonce), ...input }));
  };

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

  /** The signed-in user and the posted form, or the answer already sent (no session: to the sign-in form; bad CSRF: 403). */
  const signedInForm = async (request: FastifyRequest, reply: FastifyReply) => {
    const current = await account.current(tokenOf(request));
    if (!current) return { sent: seeAccount(reply) };
    const form = formOf(request);
    if (!sessions.csrfTokenMatches(current.session, form.get(CSRF_FIELD) ?? undefined)) return { sent: refused(reply) };
    return { ...current, form };
  };

  app.get(ACCOUNT_PATH, async (request, reply) => {
    const notice = noticeOf(request);
    const current = await account.current(tokenOf(request));
    if (!current) return signInForm(reply, 200, notice ? { notice } : {});
    const model = await account.overview(current.user);
    return page(reply, 200, accountPage({ ...model, csrfToken: sessions.csrfToken(current.session), ...(notice ? { notice } : {}) }));
  });

  app.post(`${ACCOUNT_PATH}/login`, async (request, reply) => {
    const form = formOf(request);
    if (!sessions.preSessionCsrfTokenMatches(nonceCookie.read(request.headers.cookie), form.get(CSRF_FIELD) ?? undefined)) return refused(reply);
    const username = form.get('username') ?? '';
    const outcome = await account.signIn({ username, password: form.get('password') ?? '', ip: request.ip }, tokenOf(request));
    if (outcome.kind === 'signed-in') return seeAccount(reply, undefined, [signIn.set(outcome.token, outcome.maxAgeSeconds), nonceCookie.clear()]);
    if (outcome.retryAfter !== undefined) reply.header('retry-after', String(outcome.retryAfter));
    return signInForm(reply, outcome.status, { error: outcome.error, username });
  });

  app.post(`${ACCOUNT_PATH}/revoke`, async (request, reply) => {
    const posted = await signedInForm(request, reply);
    if ('sent' in posted) return posted.sent;
    const clientId = posted.form.get('client_id') ?? '';
    await account.revokeApplication(posted.user, clientId);
    return seeAccount(reply, 'revoked');
  });

  app.post(`${ACCOUNT_PATH}/password`, async (request, reply) => {
    const posted = await signedInForm(request, reply);
    if ('sent' in posted) return posted.sent;
    const { form, user, session } = posted;
    const change = { current: form.get('current_password') ?? '', next: form.get('new_password') ?? '', again: form.get('new_password_again') ?? '' };
    const outcome = await account.changePassword(user, session, change, request.ip);
    if (outcome.kind === 'changed') return seeAccount(reply, 'password');
    if (outcome.retryAfter !== undefined) reply.header('retry-after', String(outcome.retryAfter));
    const model = await account.overview(user);
    return page(reply, outcome.status, accountPage({ ...model, csrfToken: sessions.csrfToken(session), passwordError: outcome.error }));
  });

  app.post(`${ACCOUNT_PATH}/logout`, async (request, reply) => {
    const posted = await signedInForm(request, reply);
    if ('sent' in posted) return posted.sent;
    await account.signOut(tokenOf(request));
    return seeAccount(reply, 'signed-out', [signIn.clear()]);
  });
}

function formOf(request: FastifyRequest): URLSearchParams {
  return new URLSearchParams(typeof request.body === 'string' ? request.body : '');
}

function noticeOf(request: FastifyRequest): AccountNotice | undefined {
  const notice = (request.query as Record<string, unknown> | undefined)?.notice;
  return typeof notice === 'string' && isAccountNotice(notice) ? notice : undefined;
}
