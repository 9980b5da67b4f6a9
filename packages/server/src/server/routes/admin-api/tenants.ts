import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toTenantResource } from '../../../core/admin/resources.js';
import { seconds, type AdminRouteContext } from './shared.js';
import { LOGO_TYPES, MAX_LOGO_BYTES } from '../../../core/branding.js';
import { CreateTenantBody, LogoBody, NoContent, PageOf, PageQuery, SlugParams, TenantResource, UpdateTenantBody, responses } from './schemas.js';

const tags = ['tenants'];

/** /tenants: operators manage every tenant; a tenant's admin reads, renames and brands its own. */
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
    {
      schema: {
        tags,
        summary: 'rename a tenant, change its token lifetime or branding, disable or enable it (operators)',
        params: SlugParams,
        body: UpdateTenantBody,
        response: responses({ 200: TenantResource }),
      },
    },
    async (request) => {
      const { name, access_token_ttl, disabled, branding } = request.body;
      const brandingChange = branding && { accent: branding.accent, termsUrl: branding.terms_url, privacyUrl: branding.privacy_url };
      return toTenantResource(
        await adminOf(request).updateTenant(request.params.slug, { name, accessTokenTtl: seconds(access_token_ttl, 'access_token_ttl'), disabled, branding: brandingChange }),
      );
    },
  );

  // The logo is sent as the image itself: only these routes read image bodies, as bytes,
  // up to the logo's size limit (beyond: 413).
  await app.register(async (logos) => {
    logos.addContentTypeParser([...LOGO_TYPES], { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES }, (_request, body, done) => done(null, body));

    logos.put<{ Params: Static<typeof SlugParams> }>(
      '/tenants/:slug/logo',
      {
        bodyLimit: MAX_LOGO_BYTES,
        config: { mediaTypes: 'the image itself: image/png, image/jpeg, image/webp or image/svg+xml' },
        schema: {
          tags,
          summary: "replace the tenant's logo: the body is the image (PNG, JPEG, WebP or SVG, at most 256 KiB; its type is read from the bytes)",
          params: SlugParams,
          body: LogoBody,
          response: responses({ 200: TenantResource }),
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body)) throw Object.assign(new Error('unsupported media type'), { statusCode: 415 });
        return toTenantResource(await adminOf(request).setTenantLogo(request.params.slug, request.body));
      },
    );

    logos.delete<{ Params: Static<typeof SlugParams> }>(
      '/tenants/:slug/logo',
      { schema: { tags, summary: "remove the tenant's logo (the deployment's applies)", params: SlugParams, response: responses({ 200: TenantResource }) } },
      async (request) => toTenantResource(await adminOf(request).setTenantLogo(request.params.slug, null)),
    );
  });

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
