import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../../../core/errors.js';
import type { Client } from '../../../core/types.js';
import {
  clientListPage,
  clientPage,
  deleteClientPage,
  newClientPage,
  NEW_CLIENT_DEFAULTS,
  ROTATION_GRACE_OPTIONS,
  secretShownPage,
  type ClientFormValues,
  type ClientView,
} from '../../../web/admin/clients.js';
import { clientPath, matchesQuery, tenantPath } from '../../../web/admin/common.js';
import { flashOf, formError, formOf, listAll, queryParam, type DashboardContext } from './dashboard.js';
import { parseTtlField, slugOf } from './dashboard-tenants.js';

/** A tenant's client as the pages show it (`tenant`: the page's tenant, which the facade checked it belongs to). */
export function toClientView(client: Client, tenant: string): ClientView {
  return {
    id: client.id,
    tenant,
    name: client.name,
    isPublic: client.isPublic,
    resourceServer: client.resourceServer,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    redirectUris: client.redirectUris,
    accessTokenTtl: client.accessTokenTtl,
    disabled: client.disabled,
    createdAt: client.createdAt,
    previousSecretExpiresAt: client.previousSecretExpiresAt,
  };
}

function clientIdOf(request: FastifyRequest): string {
  return (request.params as { clientId: string }).clientId;
}

/** What the client forms hold, as typed (checkbox lists, one redirect URI a line). */
function readClientForm(form: URLSearchParams): ClientFormValues {
  return {
    name: form.get('name') ?? '',
    clientType: form.get('client_type') === 'public' ? 'public' : 'confidential',
    scopes: form.getAll('scope'),
    grantTypes: form.getAll('grant_type'),
    redirectUris: form.get('redirect_uris') ?? '',
    accessTokenTtl: form.get('access_token_ttl') ?? '',
    resourceServer: form.has('resource_server'),
  };
}

function redirectUriList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** API clients of a tenant: list with search, New client (secret shown once), the client page, rotate, disable/enable, delete. */
export function clientRoutes(app: FastifyInstance, { adminOf, page, redirect, options }: DashboardContext): void {
  const tokenEndpoint = `${options.config.issuer}/oauth/token`;
  const base = '/admin/tenants/:slug/clients';

  /** The tenant's lifetime (the default of its clients') and its scope catalogue. */
  const tenantFacts = async (request: FastifyRequest) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const [tenant, scopes] = await Promise.all([admin.getTenant(slug), listAll((page) => admin.listScopes(slug, page))]);
    return {
      tenantAccessTokenTtl: tenant.accessTokenTtl ?? options.config.accessTokenTtl,
      catalogue: scopes.map((scope) => ({ name: scope.name, description: scope.description })),
    };
  };

  const showClient = async (request: FastifyRequest, extra: { error?: string; values?: ClientFormValues } = {}) => {
    const { admin, viewer } = adminOf(request);
    const client = await admin.getClient(slugOf(request), clientIdOf(request));
    return clientPage({ viewer, client: toClientView(client, slugOf(request)), ...(await tenantFacts(request)), flash: flashOf(request), error: extra.error, values: extra.values });
  };

  app.get(base, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const all = await listAll((page) => admin.listClients(slug, page));
    const query = queryParam(request, 'q');
    const clients = all.filter((client) => matchesQuery(query, client.name, client.id)).map((client) => toClientView(client, slug));
    return page(reply, clientListPage({ viewer, tenant: slug, clients, query, total: all.length, flash: flashOf(request) }));
  });

  app.get(`${base}/new`, async (request, reply) => {
    const { viewer } = adminOf(request);
    return page(reply, newClientPage({ viewer, tenant: slugOf(request), values: NEW_CLIENT_DEFAULTS, ...(await tenantFacts(request)) }));
  });

  app.post(`${base}/new`, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    const slug = slugOf(request);
    const values = readClientForm(formOf(request));
    let created;
    try {
      const scope = values.scopes.join(' ');
      created = await admin.createClient(slug, {
        name: values.name,
        isPublic: values.clientType === 'public',
        grantTypes: values.grantTypes,
        // A token request that names no scope gets every scope chosen here.
        scope,
        defaultScope: scope,
        redirectUris: redirectUriList(values.redirectUris),
        accessTokenTtl: parseTtlField(values.accessTokenTtl),
        // Operators only: ClientService.create refuses a tenant admin (403) and records the attempt.
        resourceServer: values.resourceServer,
      });
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, newClientPage({ viewer, tenant: slug, values, error: message, ...(await tenantFacts(request)) }), { status });
    }
    // The secret is shown in this response only: never in a URL, a cookie or storage.
    return page(reply, secretShownPage({ viewer, client: toClientView(created.client, slug), secret: created.secret, tokenEndpoint }, 'created'), { script: true });
  });

  app.get(`${base}/:clientId`, async (request, reply) => page(reply, await showClient(request)));

  app.post(`${base}/:clientId`, async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const clientId = clientIdOf(request);
    const values = readClientForm(formOf(request));
    try {
      const client = await admin.getClient(slug, clientId);
      await admin.updateClient(slug, clientId, {
        name: values.name,
        grantTypes: values.grantTypes,
        scope: values.scopes.join(' '),
        // A default scope the client no longer has is dropped with it.
        defaultScope: client.defaultScopes.filter((scope) => values.scopes.includes(scope)).join(' '),
        redirectUris: redirectUriList(values.redirectUris),
        accessTokenTtl: parseTtlField(values.accessTokenTtl),
      });
    } catch (error) {
      const { status, message } = formError(error);
      return page(reply, await showClient(request, { error: message, values }), { status });
    }
    return redirect(reply, clientPath(slug, clientId), 'client-updated');
  });

  app.post(`${base}/:clientId/rotate-secret`, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    const grace = Number(formOf(request).get('grace') ?? '0');
    if (grace !== 0 && !ROTATION_GRACE_OPTIONS.includes(grace)) throw new ValidationError('choose whether the old secret stops now or keeps working for one of the periods offered');
    const rotated = await admin.rotateClientSecret(slugOf(request), clientIdOf(request), grace > 0 ? { graceSeconds: grace } : {});
    return page(
      reply,
      secretShownPage({ viewer, client: toClientView(rotated.client, slugOf(request)), secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt, tokenEndpoint }, 'rotated'),
      { script: true },
    );
  });

  app.post(`${base}/:clientId/disable`, async (request, reply) => {
    const slug = slugOf(request);
    const clientId = clientIdOf(request);
    await adminOf(request).admin.updateClient(slug, clientId, { disabled: true });
    return redirect(reply, clientPath(slug, clientId), 'client-disabled');
  });

  app.post(`${base}/:clientId/enable`, async (request, reply) => {
    const slug = slugOf(request);
    const clientId = clientIdOf(request);
    await adminOf(request).admin.updateClient(slug, clientId, { disabled: false });
    return redirect(reply, clientPath(slug, clientId), 'client-enabled');
  });

  app.get(`${base}/:clientId/delete`, async (request, reply) => {
    const { admin, viewer } = adminOf(request);
    const client = await admin.getClient(slugOf(request), clientIdOf(request));
    return page(reply, deleteClientPage({ viewer, client: toClientView(client, slugOf(request)) }));
  });

  app.post(`${base}/:clientId/delete`, async (request, reply) => {
    const slug = slugOf(request);
    await adminOf(request).admin.deleteClient(slug, clientIdOf(request));
    return redirect(reply, tenantPath(slug, '/clients'), 'client-deleted');
  });
}
