import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { principalOf, type AdminAccount } from '../../../core/admin/accounts.js';
import type { AdminPrincipal } from '../../../core/admin/principal.js';
import { adminErrorPage, ADMIN_PATHS, type AdminViewer } from '../../../web/admin/layout.js';
import { CSRF_FIELD, PAGE_SECURITY_HEADERS } from '../../../web/pages.js';
import { sessionCookie, type SessionCookie } from '../../session-cookie.js';
import type { RouteOptions } from '../oauth.js';

/**
 * The dashboard's guard: every page under /admin but the sign-in resolves the admin
 * session (core/sessions.ts, kind `admin`) into `request.admin`, or sends the browser to
 * the sign-in page (GET, HEAD) or refuses (403, any other method). Every other method
 * must also carry the session's CSRF token in the form field `csrf_token` (urlencoded, or
 * multipart where a scope accepts it: before the file, adminMultipartForm): a POST
 * without a valid one is refused (403) before the route runs.
 */

/** The signed-in admin, for the dashboard's routes. */
export interface AdminRequestContext {
  /** Operator or tenant admin (core/admin/principal.ts): pass it to the services' access checks. */
  principal: AdminPrincipal;
  accountId: string;
  username: string;
  /** The session's CSRF token: put it in every form (web/admin/layout.ts csrfField). */
  csrfToken: string;
  /** The session's id (to end the others: services.sessions.endAll('admin', accountId, { except })). */
  sessionId: string;
  account: AdminAccount;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin guard (server/routes/admin/guard.ts) on the dashboard's routes; undefined elsewhere. */
    admin?: AdminRequestContext;
  }
}

/** The form a dashboard POST carried (application/x-www-form-urlencoded), parsed once. */
export function adminForm(request: FastifyRequest): URLSearchParams {
  const cached = forms.get(request);
  if (cached) return cached;
  const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
  forms.set(request, form);
  return form;
}
const forms = new WeakMap<FastifyRequest, URLSearchParams>();

/** A multipart/form-data POST (the logo upload, dashboard-logo.ts): its fields before the first file, and that file (unread). */
export interface AdminMultipartForm {
  fields: URLSearchParams;
  file: MultipartFile | undefined;
}

/** Whether the request is multipart/form-data in a scope that registered @fastify/multipart (nowhere else does one get past the body parsing: 415). */
function isMultipart(request: FastifyRequest): boolean {
  const candidate = request as { isMultipart?: unknown };
  return typeof candidate.isMultipart === 'function' && request.isMultipart();
}

/**
 * The form of a dashboard POST that may be multipart/form-data, read once: the fields up
 * to the first file (so the CSRF token is known before the file is read: `csrf_token`
 * must come before the file in the form; browsers send fields in document order), and
 * that file, its bytes still unread. Fields after the file are not read. A urlencoded
 * form gives its fields and no file.
 */
export function adminMultipartForm(request: FastifyRequest): Promise<AdminMultipartForm> {
  let cached = multipartForms.get(request);
  if (!cached) {
    cached = isMultipart(request) ? readFieldsUpToFile(request) : Promise.resolve({ fields: adminForm(request), file: undefined });
    multipartForms.set(request, cached);
  }
  return cached;
}
const multipartForms = new WeakMap<FastifyRequest, Promise<AdminMultipartForm>>();

async function readFieldsUpToFile(request: FastifyRequest): Promise<AdminMultipartForm> {
  const fields = new URLSearchParams();
  const parts = request.parts();
  for (;;) {
    const next = await parts.next();
    if (next.done) return { fields, file: undefined };
    const part = next.value;
    if (part.type === 'file') return { fields, file: part };
    fields.append(part.fieldname, typeof part.value === 'string' ? part.value : '');
  }
}

/** The CSRF token a POST presents: the `csrf_token` field of its urlencoded or multipart form. */
async function presentedCsrfToken(request: FastifyRequest): Promise<string | undefined> {
  if (!isMultipart(request)) return adminForm(request).get(CSRF_FIELD) ?? undefined;
  return (await adminMultipartForm(request)).fields.get(CSRF_FIELD) ?? undefined;
}

/** The signed-in admin of a guarded route (throws when the guard did not run: a wiring bug). */
export function requireAdmin(request: FastifyRequest): AdminRequestContext {
  if (!request.admin) throw new Error('admin route registered outside the admin guard');
  return request.admin;
}

/** The frame's viewer (web/admin/layout.ts) of the signed-in admin. */
export function viewerOf(admin: AdminRequestContext, site?: RouteOptions['site']): AdminViewer {
  return { username: admin.username, principal: admin.principal, csrfToken: admin.csrfToken, site };
}

/** Sends a dashboard page with the pages' security headers (CSP without script, frame-ancestors 'none', no-store). */
export function sendAdminPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_SECURITY_HEADERS).send(body);
}

/** 303 See Other: where a form post continues (RFC 9110 §15.4.4). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}

/** The admin session cookie of this deployment (`__Host-gatehouse_admin_session` on https). */
export function adminSessionCookie(options: Pick<RouteOptions, 'config'>): SessionCookie {
  return sessionCookie('admin', options.config.issuer);
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * The preHandler of the dashboard's guarded scope (registered by server/routes/admin/index.ts).
 * Also usable alone: `app.addHook('preHandler', adminGuard(options))`.
 */
export function adminGuard(options: RouteOptions): preHandlerAsyncHookHandler {
  const { services } = options;
  const cookie = adminSessionCookie(options);
  return async (request, reply) => {
    const token = cookie.read(request.headers.cookie);
    const session = await services.sessions.resume('admin', token);
    const account = session && (await services.adminAuth.findAccount(session.subjectId));
    if (!session || !account) {
      // A session whose account was disabled or deleted, or whose tenant was disabled, ends for good.
      if (session) await services.sessions.end(token);
      // A cookie that names no live session (expired, ended, account disabled) is dropped.
      if (token !== undefined) reply.header('set-cookie', cookie.clear());
      if (SAFE_METHODS.has(request.method)) return seeOther(reply, ADMIN_PATHS.login);
      return sendAdminPage(reply, 403, adminErrorPage('Signed out', 'Your session has ended. Sign in again, then repeat what you were doing.'));
    }
    const admin: AdminRequestContext = {
      principal: principalOf(account),
      accountId: account.id,
      username: account.username,
      csrfToken: services.sessions.csrfToken(session),
      sessionId: session.id,
      account,
    };
    request.admin = admin;
    if (!SAFE_METHODS.has(request.method) && !services.sessions.csrfTokenMatches(session, await presentedCsrfToken(request))) {
      // A refused upload's file is drained unread (the request stream must still end).
      (await multipartForms.get(request))?.file?.file.resume();
      return sendAdminPage(reply, 403, adminErrorPage('Request refused', 'The form could not be verified (its security token is missing or out of date). Go back, reload the page and try again.', viewerOf(admin, options.site)));
    }
  };
}

/** For a route that reads its body otherwise (not a urlencoded form): the CSRF check the guard does for forms. */
export function adminCsrfTokenMatches(options: Pick<RouteOptions, 'services'>, request: FastifyRequest, presented: string | undefined): boolean {
  const admin = request.admin;
  return admin !== undefined && options.services.sessions.csrfTokenMatches({ id: admin.sessionId }, presented);
}
