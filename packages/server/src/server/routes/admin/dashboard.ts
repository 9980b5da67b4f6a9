import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Page, PageRequest, ScopedAdmin } from '../../../core/admin/scoped.js';
import type { AdminPrincipal } from '../../../core/admin/principal.js';
import { ConflictError, ForbiddenError, NotFoundError, StorageUnavailableError, ValidationError } from '../../../core/errors.js';
import { COPY_SCRIPT, COPY_SCRIPT_PATH } from '../../../web/admin/clients.js';
import { isFlashKey, type FlashKey, type Viewer } from '../../../web/admin/common.js';
import { CSRF_FIELD, errorPage, PAGE_CSP, PAGE_SECURITY_HEADERS } from '../../../web/pages.js';
import type { RouteOptions } from '../oauth.js';
import { catalogueRoutes } from './dashboard-catalogue.js';
import { clientRoutes } from './dashboard-clients.js';
import { tenantRoutes } from './dashboard-tenants.js';

/**
 * The dashboard's content pages (/admin/tenants/…, /admin/keys, /admin/audit):
 * server-rendered forms, usable without JavaScript. Each handler reads the request, calls
 * the admin facade of the signed-in admin's principal (the same access rules as the admin
 * API: an operator reaches every tenant, a tenant admin its own; another tenant's pages
 * answer 404, an operator-only action 403) and renders a page model (web/admin/*).
 *
 * Every page is `no-store` with a CSP without inline script or style and
 * `frame-ancestors 'none'`; the pages that show a secret also allow the copy-button script
 * from 'self'. Every POST must carry the session's CSRF token, and ends in a
 * redirect (POST-redirect-GET, with a fixed flash message key) or a page re-rendered with
 * the error, except the pages that show a secret once: those are the POST's response.
 */

/** The signed-in admin, as the accounts' preHandler establishes it. */
export interface DashboardSession {
  principal: AdminPrincipal;
  username: string;
  /** The session's CSRF token: every form carries it, every POST must. */
  csrfToken: string;
}

/** How the dashboard learns who is signed in (the admin accounts' session; tests may stand in). */
export interface DashboardAuth {
  /** Runs before every dashboard route: answers a request without a signed-in admin (redirect to the login page). */
  preHandler: preHandlerAsyncHookHandler;
  /** The signed-in admin of a request that passed the preHandler. */
  session(request: FastifyRequest): DashboardSession;
}

/** Every item of an admin list, page after page (the dashboard's lists are searched whole). */
export async function listAll<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return items;
}

export interface DashboardOptions extends RouteOptions {
  auth: DashboardAuth;
}

/** What each group of page handlers works with. */
export interface DashboardContext {
  options: DashboardOptions;
  /** The signed-in admin's facade and the page models' viewer. */
  adminOf(request: FastifyRequest): { admin: ScopedAdmin; viewer: Viewer };
  /** Sends a page with the page security headers; `script`: the page loads the copy script. */
  page(reply: FastifyReply, html: string, options?: { status?: number; script?: boolean }): FastifyReply;
  /** 303 to a dashboard path, with a fixed flash message. */
  redirect(reply: FastifyReply, path: string, flash?: FlashKey): FastifyReply;
}

const FORM_BODY_LIMIT = 16_384;
const RETRY_AFTER_SECONDS = '5';

/** The CSP of a page that loads the copy-button script (served from this origin). */
export const SCRIPT_PAGE_CSP = PAGE_CSP.replace("default-src 'none';", "default-src 'none'; script-src 'self';");

/** The fields of a form body (application/x-www-form-urlencoded). */
export function formOf(request: FastifyRequest): URLSearchParams {
  return new URLSearchParams(typeof request.body === 'string' ? request.body : '');
}

/** One query parameter as a string ('' when absent; the first when repeated). */
export function queryParam(request: FastifyRequest, name: string): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/** The flash message a redirect named, when it is one of the fixed keys. */
export function flashOf(request: FastifyRequest): FlashKey | undefined {
  const key = queryParam(request, 'done');
  return isFlashKey(key) ? key : undefined;
}

/** A refused form's error (ValidationError 400, ConflictError 409) to show on the page; anything else is rethrown. */
export function formError(error: unknown): { status: number; message: string } {
  if (error instanceof ValidationError) return { status: 400, message: error.message };
  if (error instanceof ConflictError) return { status: 409, message: error.message };
  throw error;
}

function sameToken(given: string | null, expected: string): boolean {
  if (given === null || expected === '') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { auth } = options;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const page: DashboardContext['page'] = (reply, html, { status = 200, script = false } = {}) =>
    reply
      .code(status)
      .headers(PAGE_SECURITY_HEADERS)
      .header('content-security-policy', script ? SCRIPT_PAGE_CSP : PAGE_CSP)
      .send(html);

  // Errors on these routes are pages (an admin's browser is on the other end), never a stack or an internal message.
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof NotFoundError) return page(reply, errorPage('Not found', 'There is no such page, or it is not yours to see.'), { status: 404 });
    if (error instanceof ForbiddenError) return page(reply, errorPage('Not allowed', error.message), { status: 403 });
    if (error instanceof ValidationError) return page(reply, errorPage('Invalid request', error.message), { status: 400 });
    if (error instanceof ConflictError) return page(reply, errorPage('Conflict', error.message), { status: 409 });
    if (error instanceof StorageUnavailableError) {
      request.log.error({ err: error.cause }, 'storage unavailable');
      return page(reply.header('retry-after', RETRY_AFTER_SECONDS), errorPage('Temporarily unavailable', 'The service is temporarily unavailable. Please try again in a moment.'), { status: 503 });
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return page(reply, errorPage('Invalid request', 'The request could not be read.'), { status });
    request.log.error({ err: error }, 'unexpected error');
    return page(reply, errorPage('Something went wrong', 'The server encountered an unexpected error.'), { status: 500 });
  });

  // The copy button's script: static, the same for everyone, so outside the sign-in.
  app.get(COPY_SCRIPT_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(COPY_SCRIPT),
  );

  await app.register(async (pages) => {
    pages.addHook('preHandler', auth.preHandler);
    // Every POST carries the session's CSRF token (compared in constant time); without it, nothing happens.
    pages.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST' || reply.sent) return;
      if (!sameToken(formOf(request).get(CSRF_FIELD), auth.session(request).csrfToken)) {
        return page(reply, errorPage('Form expired', 'The form could not be accepted (its security token is missing or stale). Go back, reload the page and try again.'), { status: 403 });
      }
    });
    const context: DashboardContext = {
      options,
      adminOf(request) {
        const session = auth.session(request);
        const { principal } = session;
        const viewer: Viewer = {
          username: session.username,
          operator: principal.kind === 'operator',
          ...(principal.kind === 'tenant' ? { tenant: principal.tenant } : {}),
          csrfToken: session.csrfToken,
          site: options.site,
        };
        return { admin: options.services.adminFor(principal), viewer };
      },
      page,
      redirect: (reply, path, flash) => reply.code(303).header('location', flash ? `${path}?done=${flash}` : path).send(),
    };
    tenantRoutes(pages, context);
    clientRoutes(pages, context);
    catalogueRoutes(pages, context);
  });
}
