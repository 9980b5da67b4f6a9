import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toAdminAccountResource } from '../../../core/admin/resources.js';
import type { AdminRouteContext } from './shared.js';
import { AdminAccountParams, AdminAccountResource, CreateAdminAccountBody, NoContent, PageOf, PageQuery, SlugParams, TenantAdminParams, responses } from './schemas.js';

const tags = ['admin accounts'];

/**
 * The dashboard's accounts (AdminAccountService): a tenant's admins, which its own admin
 * may manage too, and the operators, which operators only manage. A password is accepted
 * on creation and never shown; deleting an account ends its dashboard sessions.
 */
export async function adminAccountRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: PageQuery }>(
    '/tenants/:slug/admins',
    { schema: { tags, summary: "list the tenant's admin accounts", params: SlugParams, querystring: PageQuery, response: responses({ 200: PageOf(AdminAccountResource) }) } },
    async (request) => {
      const page = await adminOf(request).listAdminsOf(request.params.slug, request.query);
      return { items: page.items.map(toAdminAccountResource), next: page.next };
    },
  );

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof CreateAdminAccountBody> }>(
    '/tenants/:slug/admins',
    { schema: { tags, summary: 'create an admin account for the tenant', params: SlugParams, body: CreateAdminAccountBody, response: responses({ 201: AdminAccountResource }) } },
    async (request, reply) => reply.code(201).send(toAdminAccountResource(await adminOf(request).createAdminIn(request.params.slug, request.body))),
  );

  app.delete<{ Params: Static<typeof TenantAdminParams> }>(
    '/tenants/:slug/admins/:username',
    { schema: { tags, summary: "delete one of the tenant's admin accounts (its dashboard sessions end)", params: TenantAdminParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await adminOf(request).deleteAdminOf(request.params.slug, request.params.username);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/operators',
    { schema: { tags, summary: 'list the operator accounts (operators)', querystring: PageQuery, response: responses({ 200: PageOf(AdminAccountResource) }) } },
    async (request) => {
      const page = await adminOf(request).listOperators(request.query);
      return { items: page.items.map(toAdminAccountResource), next: page.next };
    },
  );

  app.post<{ Body: Static<typeof CreateAdminAccountBody> }>(
    '/operators',
    { schema: { tags, summary: 'create an operator account (operators)', body: CreateAdminAccountBody, response: responses({ 201: AdminAccountResource }) } },
    async (request, reply) => reply.code(201).send(toAdminAccountResource(await adminOf(request).createOperator(request.body))),
  );

  app.delete<{ Params: Static<typeof AdminAccountParams> }>(
    '/operators/:username',
    { schema: { tags, summary: 'delete an operator account (operators; its dashboard sessions end)', params: AdminAccountParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await adminOf(request).deleteOperator(request.params.username);
      return reply.code(204).send();
    },
  );
}
