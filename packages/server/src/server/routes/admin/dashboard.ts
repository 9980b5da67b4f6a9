import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Page, PageRequest, ScopedAdmin } from '../../../core/admin/scoped.js';
import { ConflictError, ValidationError } from '../../../core/errors.js';
import { COPY_SCRIPT, COPY_SCRIPT_PATH } from '../../../web/admin/clients.js';
import { isFlashKey, type FlashKey, type Viewer } from '../../../web/admin/common.js';
import { PAGE_CSP, PAGE_SECURITY_HEADERS } from '../../../web/pages.js';
import type { RouteOptions } from '../oauth.js';
import { catalogueRoutes } from './dashboard-catalogue.js';
import { clientRoutes } from './dashboard-clients.js';
import { logoUploadRoutes } from './dashboard-logo.js';
import { tenantRoutes } from './dashboard-tenants.js';
import { adminForm, requireAdmin } from './guard.js';

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

/** What each group of page handlers works with. */
export interface DashboardContext {
  options: RouteOptions;
  /** The signed-in admin's facade and the page models' viewer. */
  adminOf(request: FastifyRequest): { admin: ScopedAdmin; viewer: Viewer };
  /** Sends a page with the page security headers; `script`: the page loads the copy script. */
  page(reply: FastifyReply, html: string, options?: { status?: number; script?: boolean }): FastifyReply;
  /** 303 to a dashboard path, with a fixed flash message. */
  redirect(reply: FastifyReply, path: string, flash?: FlashKey): FastifyReply;
}

/** The CSP of a page that loads the copy-button script (served from this origin). */
export const SCRIPT_PAGE_CSP = PAGE_CSP.replace("default-src 'none';", "default-src 'none'; script-src 'self';");

/** The fields of a form body (application/x-www-form-urlencoded), parsed once (guard.ts). */
export const formOf = adminForm;

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

/**
 * A section of the dashboard, registered in the admin guard's scope (routes/admin/index.ts):
 * the guard has resolved the session into `request.admin`, refused a POST without its
 * CSRF token, and the scope's error handler turns NotFoundError (another tenant's page)
 * into 404, ForbiddenError (an operator's page) into 403, as pages.
 */
export async function dashboardRoutes(app: FastifyInstance, options: RouteOptions): Promise<void> {
  const page: DashboardContext['page'] = (reply, html, { status = 200, script = false } = {}) =>
    reply
      .code(status)
      .headers(PAGE_SECURITY_HEADERS)
      .header('content-security-policy', script ? SCRIPT_PAGE_CSP : PAGE_CSP)
      .send(html);

  // The copy button's script: the same for everyone, cacheable.
  app.get(COPY_SCRIPT_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(COPY_SCRIPT),
  );

  const context: DashboardContext = {
    options,
    adminOf(request) {
      const { principal, username, csrfToken } = requireAdmin(request);
      const viewer: Viewer = {
        username,
        operator: principal.kind === 'operator',
        ...(principal.kind === 'tenant' ? { tenant: principal.tenant } : {}),
        csrfToken,
        site: options.site,
      };
      return { admin: options.services.adminFor(principal), viewer };
    },
    page,
    redirect: (reply, path, flash) => reply.code(303).header('location', flash ? `${path}?done=${flash}` : path).header('cache-control', 'no-store').send(),
  };
  tenantRoutes(app, context);
  clientRoutes(app, context);
  catalogueRoutes(app, context);
  // The one multipart route, in a scope of its own (inside the guard's: the guard runs first).
  await app.register(async (scope) => logoUploadRoutes(scope, context));
}
