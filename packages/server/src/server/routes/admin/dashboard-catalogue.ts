import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseSince, snakeCaseDetails } from '../../../core/audit.js';
import { keyRetentionMs } from '../../../core/keys.js';
import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../../../core/types.js';
import { ValidationError } from '../../../core/errors.js';
import { auditPage, type AuditFilterValues } from '../../../web/admin/audit.js';
import { keyListPage, scopeListPage, userListPage } from '../../../web/admin/catalogue.js';
import { ADMIN_PATH, matchesQuery, tenantPath } from '../../../web/admin/common.js';
import { flashOf, formError, formOf, listAll, queryParam, type DashboardContext } from './dashboard.js';
import { slugOf } from './dashboard-tenants.js';

const AUDIT_PAGE_SIZE = 50;

/** A tenant's scopes and users, the signing keys (operators) and the audit log. */
export function catalogueRoutes(app: FastifyInstance, { adminOf, page, redirect, options }: DashboardContext): void {
  // --- scopes ---
  const scopesPage = async (request: FastifyRequest, extra: { error?: string; form?: { name: string; description: string } } = {}) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const scopes = await listAll((page) => admin.listScopes(slug, page));
    return scopeListPage({ viewer, tenant: slug, scopes: scopes.map(({ name, description }) => ({ name, description })), flash: flashOf(request), ...extra });
  };

  app.get('/admin/tenants/:slug/scopes', async (request, reply) => page(reply, await scopesPage(request)));

  app.post('/admin/tenants/:slug/scopes', async (request, reply) => {
    const slug = slugOf(request);
    const form = formOf(request);
    const name = (form.get('name') ?? '').trim();
    const description = form.get('description') ?? '';
    try {
      await adminOf(request).admin.putScope(slug, name, description);
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await scopesPage(request, { error: message, form: { name, description } }), { status });
    }
    return redirect(reply, tenantPath(slug, '/scopes'), 'scope-saved');
  });

  app.post('/admin/tenants/:slug/scopes/delete', async (request, reply) => {
    const slug = slugOf(request);
    await adminOf(request).admin.deleteScope(slug, formOf(request).get('name') ?? '');
    return redirect(reply, tenantPath(slug, '/scopes'), 'scope-deleted');
  });

  // --- users ---
  const usersPage = async (request: FastifyRequest, extra: { error?: string; form?: { username: string } } = {}) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const all = await listAll((page) => admin.listUsers(slug, page));
    const query = queryParam(request, 'q');
    const users = all
      .filter((user) => matchesQuery(query, user.username))
      .map((user) => ({ username: user.username, tenants: user.tenants.map((tenant) => tenant.slug), disabled: user.disabled, createdAt: user.createdAt }));
    return userListPage({ viewer, tenant: slug, users, query, total: all.length, flash: flashOf(request), ...extra });
  };

  app.get('/admin/tenants/:slug/users', async (request, reply) => page(reply, await usersPage(request)));

  app.post('/admin/tenants/:slug/users', async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const form = formOf(request);
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    let flash: 'user-created' | 'user-added' | 'user-already-member';
    try {
      // With a password: a new user; without: an existing user joins this tenant.
      if (password !== '') {
        await admin.createUser(slug, { username, password });
        flash = 'user-created';
      } else {
        flash = (await admin.addUserToTenant(slug, username)).added ? 'user-added' : 'user-already-member';
      }
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await usersPage(request, { error: message, form: { username } }), { status });
    }
    return redirect(reply, tenantPath(slug, '/users'), flash);
  });

  app.post('/admin/tenants/:slug/users/remove', async (request, reply) => {
    const slug = slugOf(request);
    try {
      await adminOf(request).admin.removeUserFromTenant(slug, formOf(request).get('username') ?? '');
    } catch (error) {
      // The last tenant of a user cannot be removed: say why on the list.
      const { status, message } = formError(error);
      return page(reply, await usersPage(request, { error: message }), { status });
    }
    return redirect(reply, tenantPath(slug, '/users'), 'user-removed');
  });

  // --- signing keys (operators) ---
  const keysPage = async (request: FastifyRequest, extra: { error?: string } = {}) => {
    const { admin, viewer } = adminOf(request);
    const keys = await listAll((page) => admin.listKeys(page));
    const active = keys.find((key) => key.active)?.alg;
    return keyListPage({
      viewer,
      keys: keys.map(({ kid, alg, active, createdAt, publishedUntil }) => ({ kid, alg, active, createdAt, publishedUntil })),
      // The active key's algorithm first: a rotation keeps it unless told otherwise.
      algorithms: active ? [active, ...SIGNING_ALGORITHMS.filter((alg) => alg !== active)] : SIGNING_ALGORITHMS,
      retention: keyRetentionMs(options.config) / 1000,
      flash: flashOf(request),
      ...extra,
    });
  };

  app.get(`${ADMIN_PATH}/keys`, async (request, reply) => page(reply, await keysPage(request)));

  app.post(`${ADMIN_PATH}/keys/rotate`, async (request, reply) => {
    const alg = formOf(request).get('alg') ?? '';
    if (!isSigningAlgorithm(alg)) throw new ValidationError(`unknown signing algorithm: choose ${SIGNING_ALGORITHMS.join(' or ')}`);
    await adminOf(request).admin.rotateKey(alg);
    return redirect(reply, `${ADMIN_PATH}/keys`, 'key-rotated');
  });

  app.post(`${ADMIN_PATH}/keys/withdraw`, async (request, reply) => {
    try {
      await adminOf(request).admin.withdrawKey(formOf(request).get('kid') ?? '');
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await keysPage(request, { error: message }), { status });
    }
    return redirect(reply, `${ADMIN_PATH}/keys`, 'key-withdrawn');
  });

  // --- audit log ---
  app.get(`${ADMIN_PATH}/audit`, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    const filters: AuditFilterValues = {
      tenant: viewer.operator ? queryParam(request, 'tenant').trim() : (viewer.tenant ?? ''),
      action: queryParam(request, 'action').trim(),
      actor: queryParam(request, 'actor').trim(),
      since: queryParam(request, 'since').trim(),
    };
    const cursor = queryParam(request, 'cursor');
    const href = (extra: Record<string, string>) => {
      const params = new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, value]) => value !== ''));
      const query = params.toString();
      return query === '' ? `${ADMIN_PATH}/audit` : `${ADMIN_PATH}/audit?${query}`;
    };
    let result: Awaited<ReturnType<typeof admin.listAuditEvents>> = { events: [], next: null };
    let error: string | undefined;
    let status = 200;
    try {
      result = await admin.listAuditEvents({
        ...(filters.tenant !== '' ? { tenant: filters.tenant } : {}),
        ...(filters.action !== '' ? { action: filters.action } : {}),
        ...(filters.actor !== '' ? { actor: filters.actor } : {}),
        ...(filters.since !== '' ? { since: parseSince(filters.since, Date.now()) } : {}),
        ...(cursor !== '' ? { cursor } : {}),
        limit: AUDIT_PAGE_SIZE,
      });
    } catch (caught) {
      ({ status, message: error } = formError(caught));
    }
    const events = result.events.map((event) => ({
      time: event.time,
      actor: event.actor,
      tenant: event.tenant,
      action: event.action,
      target: event.target,
      outcome: event.outcome,
      details: Object.entries(snakeCaseDetails(event.details)).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(' ') : String(value)}`),
    }));
    return page(
      reply,
      auditPage({
        viewer,
        filters,
        events,
        nextHref: result.next ? href({ cursor: result.next }) : null,
        firstHref: cursor !== '' ? href({}) : null,
        error,
      }),
      { status },
    );
  });
}
