import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../../../core/duration.js';
import type { Tenant } from '../../../core/types.js';
import { ADMIN_PATH, matchesQuery, tenantPath } from '../../../web/admin/common.js';
import { tenantListPage, tenantPage, type TenantView } from '../../../web/admin/tenants.js';
import { flashOf, formError, formOf, listAll, queryParam, type DashboardContext } from './dashboard.js';

/** The `slug` path parameter of the tenant pages. */
export function slugOf(request: FastifyRequest): string {
  return (request.params as { slug: string }).slug;
}

export function toTenantView(tenant: Tenant): TenantView {
  return { slug: tenant.slug, name: tenant.name, accessTokenTtl: tenant.accessTokenTtl, disabled: tenant.disabled, createdAt: tenant.createdAt };
}

/** A lifetime field: empty → null (the default), else a duration ("15m", "3600"). */
export function parseTtlField(value: string | null): number | null {
  const text = (value ?? '').trim();
  return text === '' ? null : parseDuration(text);
}

/** Tenants: list with search and create (operators), a tenant's home, rename, disable/enable (operators). */
export function tenantRoutes(app: FastifyInstance, { adminOf, page, redirect, options }: DashboardContext): void {
  const listPage = async (request: FastifyRequest, extra: { error?: string; form?: { slug: string; name: string }; status?: number } = {}) => {
    const { admin, viewer } = adminOf(request);
    const all = await listAll((page) => admin.listTenants(page));
    const query = queryParam(request, 'q');
    const tenants = all.filter((tenant) => matchesQuery(query, tenant.slug, tenant.name)).map(toTenantView);
    return { html: tenantListPage({ viewer, tenants, query, total: all.length, flash: flashOf(request), error: extra.error, form: extra.form }), status: extra.status ?? 200 };
  };

  const homePage = async (request: FastifyRequest, extra: { error?: string; form?: { name: string; accessTokenTtl: string }; status?: number } = {}) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const tenant = await admin.getTenant(slug);
    const [clients, scopes, users] = await Promise.all([listAll((page) => admin.listClients(slug, page)), listAll((page) => admin.listScopes(slug, page)), listAll((page) => admin.listUsers(slug, page))]);
    return tenantPage({
      viewer,
      tenant: toTenantView(tenant),
      defaultAccessTokenTtl: options.config.accessTokenTtl,
      counts: { clients: clients.length, scopes: scopes.length, users: users.length },
      flash: flashOf(request),
      error: extra.error,
      form: extra.form,
    });
  };

  app.get(`${ADMIN_PATH}/tenants`, async (request, reply) => {
    const { viewer } = adminOf(request);
    // A tenant admin has one tenant: its own.
    if (!viewer.operator) return redirect(reply, tenantPath(viewer.tenant ?? ''));
    const { html, status } = await listPage(request);
    return page(reply, html, { status });
  });

  app.post(`${ADMIN_PATH}/tenants`, async (request, reply) => {
    const { admin } = adminOf(request);
    const form = formOf(request);
    const slug = (form.get('slug') ?? '').trim();
    const name = (form.get('name') ?? '').trim();
    try {
      await admin.createTenant({ slug, ...(name !== '' ? { name } : {}) });
    } catch (error) {
      const { status, message } = formError(error);
      const { html } = await listPage(request, { error: message, form: { slug, name } });
      return page(reply, html, { status });
    }
    return redirect(reply, tenantPath(slug), 'tenant-created');
  });

  app.get(`${ADMIN_PATH}/tenants/:slug`, async (request, reply) => page(reply, await homePage(request)));

  app.post(`${ADMIN_PATH}/tenants/:slug`, async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const form = formOf(request);
    const name = form.get('name') ?? '';
    const ttl = form.get('access_token_ttl') ?? '';
    try {
      await admin.updateTenant(slug, { name, accessTokenTtl: parseTtlField(ttl) });
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await homePage(request, { error: message, form: { name, accessTokenTtl: ttl } }), { status });
    }
    return redirect(reply, tenantPath(slug), 'tenant-updated');
  });

  app.post(`${ADMIN_PATH}/tenants/:slug/disable`, async (request, reply) => {
    const slug = slugOf(request);
    await adminOf(request).admin.updateTenant(slug, { disabled: true });
    return redirect(reply, tenantPath(slug), 'tenant-disabled');
  });

  app.post(`${ADMIN_PATH}/tenants/:slug/enable`, async (request, reply) => {
    const slug = slugOf(request);
    await adminOf(request).admin.updateTenant(slug, { disabled: false });
    return redirect(reply, tenantPath(slug), 'tenant-enabled');
  });
}
