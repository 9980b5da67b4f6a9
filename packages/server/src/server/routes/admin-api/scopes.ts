import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toScopeResource } from '../../../core/admin/resources.js';
import type { AdminRouteContext } from './shared.js';
import { NoContent, PageOf, PageQuery, PutScopeBody, ScopeParams, ScopeResource, SlugParams, responses } from './schemas.js';

const tags = ['scopes'];

/** /tenants/{slug}/scopes: a tenant's scope catalogue, with the descriptions the consent page shows. */
export async function scopeRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: PageQuery }>(
    '/tenants/:slug/scopes',
    { schema: { tags, summary: "list a tenant's scopes", params: SlugParams, querystring: PageQuery, response: responses({ 200: PageOf(ScopeResource) }) } },
    async (request) => {
      const page = await adminOf(request).listScopes(request.params.slug, request.query);
      return { items: page.items.map((scope) => toScopeResource(scope)), next: page.next };
    },
  );

  app.put<{ Params: Static<typeof ScopeParams>; Body: Static<typeof PutScopeBody> }>(
    '/tenants/:slug/scopes/:name',
    { schema: { tags, summary: 'create a scope or replace its description', params: ScopeParams, body: PutScopeBody, response: responses({ 200: ScopeResource }) } },
    async (request) => {
      const scope = await adminOf(request).putScope(request.params.slug, request.params.name, request.body.description);
      return toScopeResource(scope, request.params.slug);
    },
  );

  app.delete<{ Params: Static<typeof ScopeParams> }>(
    '/tenants/:slug/scopes/:name',
    { schema: { tags, summary: "remove a scope from the tenant's catalogue (clients keep the name)", params: ScopeParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await adminOf(request).deleteScope(request.params.slug, request.params.name);
      return reply.code(204).send();
    },
  );
}
