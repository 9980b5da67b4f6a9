import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toTenantResource } from '../../../core/admin/resources.js';
import { seconds, type AdminRouteContext } from './shared.js';
import { CreateTenantBody, NoContent, PageOf, PageQuery, SlugParams, TenantResource, UpdateTenantBody, responses } from './schemas.js';

const tags = ['tenants'];

/** /tenants: operators manage every tenant; a tenant's admin reads and renames its own. */
export async function tenantRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Querystring: PageQuery }>(
    '/tenants',
    { schema: { tags, summary: 'list tenants (a tenant admin: its own)', querystring: PageQuery, response: responses({ 200: PageOf(TenantResource) }) } },
    async (request) => {
      const page = await adminOf(request).listTenants(request.query);
      return { items: page.items.map(toTenantResource), next: page.next };
    },
  );

  app.post<{ Body: Static<typeof CreateTenantBody> }>(
    '/tenants',
    { schema: { tags, summary: 'create a tenant (operators)', body: CreateTenantBody, response: responses({ 201: TenantResource }) } },
    async (request, reply) => {
      const { slug, name, access_token_ttl } = request.body;
      const tenant = await adminOf(request).createTenant({ slug, name, accessTokenTtl: seconds(access_token_ttl, 'access_token_ttl') });
      return reply.code(201).send(toTenantResource(tenant));
    },
  );

  app.get<{ Params: Static<typeof SlugParams> }>(
    '/tenants/:slug',
    { schema: { tags, summary: 'read a tenant', params: SlugParams, response: responses({ 200: TenantResource }) } },
    async (request) => toTenantResource(await adminOf(request).getTenant(request.params.slug)),
  );

  app.patch<{ Params: Static<typeof SlugParams>; Body: Static<typeof UpdateTenantBody> }>(
    '/tenants/:slug',
    { schema: { tags, summary: 'rename a tenant, change its token lifetime, disable or enable it (operators)', params: SlugParams, body: UpdateTenantBody, response: responses({ 200: TenantResource }) } },
    async (request) => {
      const { name, access_token_ttl, disabled } = request.body;
      return toTenantResource(await adminOf(request).updateTenant(request.params.slug, { name, accessTokenTtl: seconds(access_token_ttl, 'access_token_ttl'), disabled }));
    },
  );

  app.delete<{ Params: Static<typeof SlugParams> }>(
    '/tenants/:slug',
    {
      schema: {
        tags,
        summary: 'delete a tenant (operators): it is disabled, never erased; every token of its clients is revoked and its slug stays reserved',
        params: SlugParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await adminOf(request).deleteTenant(request.params.slug);
      return reply.code(204).send();
    },
  );
}
