import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tenantLogoPath } from '../../../core/branding.js';
import { parseDuration } from '../../../core/duration.js';
import type { AdminAccount } from '../../../core/admin/accounts.js';
import type { Tenant } from '../../../core/types.js';
import { ADMIN_PATH, matchesQuery, tenantPath } from '../../../web/admin/common.js';
import { DEFAULT_PICKER_ACCENT, operatorsPage, tenantListPage, tenantPage, type AdminAccountView, type TenantPageModel, type TenantView } from '../../../web/admin/tenants.js';
import { ValidationError } from '../../../core/errors.js';
import { flashOf, formError, formOf, listAll, queryParam, type DashboardContext } from './dashboard.js';

/** The `slug` path parameter of the tenant pages. */
export function slugOf(request: FastifyRequest): string {
  return (request.params as { slug: string }).slug;
}

export function toTenantView(tenant: Tenant): TenantView {
  const { accent, termsUrl, privacyUrl, logo } = tenant.branding;
  return {
    slug: tenant.slug,
    name: tenant.name,
    accessTokenTtl: tenant.accessTokenTtl,
    disabled: tenant.disabled,
    createdAt: tenant.createdAt,
    branding: { accent, termsUrl, privacyUrl, logoUrl: logo === null ? null : tenantLogoPath(tenant.slug, logo.digest) },
  };
}

export function toAdminAccountView(account: AdminAccount): AdminAccountView {
  return { username: account.username, mfaEnabled: account.mfaEnabled, disabled: account.disabled, lastSignInAt: account.lastSignInAt };
}

/** The admin account a tenant-admin route names. */
function usernameOf(request: FastifyRequest): string {
  return (request.params as { username: string }).username;
}

/**
 * The accent a branding form asks for (no script: the text field and the colour picker
 * are not kept in step): the text field when it was changed (empty: clear), else the
 * picker when it was moved, else undefined (keep).
 */
export function accentOf(form: URLSearchParams): string | null | undefined {
  const was = form.get('accent_was') ?? '';
  const text = (form.get('accent') ?? '').trim();
  const picker = (form.get('accent_picker') ?? '').trim();
  if (text.toLowerCase() !== was.toLowerCase()) return text === '' ? null : text;
  if (picker !== '' && picker.toLowerCase() !== (was === '' ? DEFAULT_PICKER_ACCENT : was.toLowerCase())) return picker;
  return undefined;
}

/** A lifetime field: empty → null (the default), else a duration ("15m", "3600"). */
export function parseTtlField(value: string | null): number | null {
  const text = (value ?? '').trim();
  return text === '' ? null : parseDuration(text);
}

/** What a tenant's home page may show besides the tenant: a refused form, with what was typed. */
export type TenantPageExtra = Partial<Pick<TenantPageModel, 'error' | 'form' | 'adminForm' | 'brandingForm' | 'logoForm'>>;

/** Renders the home page of the tenant the request's `slug` names (another tenant's: NotFoundError). */
export function tenantHomePage({ adminOf, options }: Pick<DashboardContext, 'adminOf' | 'options'>): (request: FastifyRequest, extra?: TenantPageExtra) => Promise<string> {
  return async (request, extra = {}) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const tenant = await admin.getTenant(slug);
    const [clients, scopes, users, admins] = await Promise.all([
      listAll((page) => admin.listClients(slug, page)),
      listAll((page) => admin.listScopes(slug, page)),
      listAll((page) => admin.listUsers(slug, page)),
      admin.listTenantAdmins(slug),
    ]);
    return tenantPage({
      viewer,
      tenant: toTenantView(tenant),
      defaultAccessTokenTtl: options.config.accessTokenTtl,
      counts: { clients: clients.length, scopes: scopes.length, users: users.length },
      flash: flashOf(request),
      error: extra.error,
      form: extra.form,
      admins: admins.map(toAdminAccountView),
      adminForm: extra.adminForm,
      brandingForm: extra.brandingForm,
      logoForm: extra.logoForm,
    });
  };
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

  const homePage = tenantHomePage({ adminOf, options });

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

  // Tenant admins: the tenant's own admins manage them too (the facade refuses one's own account).
  app.post(`${ADMIN_PATH}/tenants/:slug/admins`, async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const form = formOf(request);
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    try {
      if (password !== (form.get('password_again') ?? '')) throw new ValidationError('the two passwords differ: type the same password twice');
      await admin.createTenantAdmin(slug, { username, password });
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await homePage(request, { adminForm: { error: message, username } }), { status });
    }
    return redirect(reply, `${tenantPath(slug)}`, 'admin-created');
  });

  for (const [action, flash] of [['disable', 'admin-disabled'], ['enable', 'admin-enabled'], ['delete', 'admin-deleted']] as const) {
    app.post(`${ADMIN_PATH}/tenants/:slug/admins/:username/${action}`, async (request, reply) => {
      const { admin } = adminOf(request);
      const slug = slugOf(request);
      const username = usernameOf(request);
      if (action === 'disable') await admin.disableTenantAdmin(slug, username);
      else if (action === 'enable') await admin.enableTenantAdmin(slug, username);
      else await admin.deleteTenantAdmin(slug, username);
      return redirect(reply, tenantPath(slug), flash);
    });
  }

  app.post(`${ADMIN_PATH}/tenants/:slug/branding`, async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const form = formOf(request);
    const termsUrl = (form.get('terms_url') ?? '').trim();
    const privacyUrl = (form.get('privacy_url') ?? '').trim();
    try {
      await admin.setTenantBranding(slug, { accent: accentOf(form), termsUrl, privacyUrl });
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await homePage(request, { brandingForm: { error: message, accent: form.get('accent') ?? '', termsUrl, privacyUrl } }), { status });
    }
    return redirect(reply, tenantPath(slug), 'branding-saved');
  });

  // The logo's upload is a multipart form (dashboard-logo.ts); its removal a plain one.
  app.post(`${ADMIN_PATH}/tenants/:slug/branding/logo/remove`, async (request, reply) => {
    const slug = slugOf(request);
    await adminOf(request).admin.setTenantLogo(slug, null);
    return redirect(reply, tenantPath(slug), 'logo-removed');
  });

  // The operator accounts, read-only (operators only: the facade refuses others with 403).
  app.get(`${ADMIN_PATH}/operators`, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    return page(reply, operatorsPage(viewer, (await admin.listOperatorAccounts()).map(toAdminAccountView)));
  });
}
