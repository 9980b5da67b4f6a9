import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toClientResource, toCreatedClientResource, toRotatedSecretResource } from '../../../core/admin/resources.js';
import { seconds, type AdminRouteContext } from './shared.js';
import {
  ClientParams,
  ClientResource,
  CreateClientBody,
  CreatedClientResource,
  NoContent,
  PageOf,
  PageQuery,
  RotateSecretBody,
  RotatedSecretResource,
  SlugParams,
  UpdateClientBody,
  responses,
} from './schemas.js';

const tags = ['clients'];

/**
 * /tenants/{slug}/clients: a tenant's API clients. The secret is in the answers to
 * create (201) and rotate-secret (200) only; disabling or deleting a client revokes
 * every token issued to it.
 */
export async function clientRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: PageQuery }>(
    '/tenants/:slug/clients',
    { schema: { tags, summary: "list a tenant's clients", params: SlugParams, querystring: PageQuery, response: responses({ 200: PageOf(ClientResource) }) } },
    async (request) => {
      const page = await adminOf(request).listClients(request.params.slug, request.query);
      return { items: page.items.map(toClientResource), next: page.next };
    },
  );

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof CreateClientBody> }>(
    '/tenants/:slug/clients',
    {
      schema: {
        tags,
        summary: 'register a client; the answer holds its secret, shown this once',
        params: SlugParams,
        body: CreateClientBody,
        response: responses({ 201: CreatedClientResource }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const created = await adminOf(request).createClient(request.params.slug, {
        name: body.name,
        grantTypes: body.grant_types,
        scope: body.scope,
        defaultScope: body.default_scope,
        redirectUris: body.redirect_uris,
        isPublic: body.public,
        resourceServer: body.resource_server,
        accessTokenTtl: seconds(body.access_token_ttl, 'access_token_ttl'),
        refreshIdleTtl: seconds(body.refresh_idle_ttl, 'refresh_idle_ttl'),
        refreshAbsoluteTtl: seconds(body.refresh_absolute_ttl, 'refresh_absolute_ttl'),
        refreshGraceSeconds: seconds(body.refresh_grace, 'refresh_grace', { zero: true }),
      });
      return reply.code(201).header('cache-control', 'no-store').send(toCreatedClientResource(created));
    },
  );

  app.get<{ Params: Static<typeof ClientParams> }>(
    '/tenants/:slug/clients/:client_id',
    { schema: { tags, summary: 'read a client (never its secret)', params: ClientParams, response: responses({ 200: ClientResource }) } },
    async (request) => toClientResource(await adminOf(request).getClient(request.params.slug, request.params.client_id)),
  );

  app.patch<{ Params: Static<typeof ClientParams>; Body: Static<typeof UpdateClientBody> }>(
    '/tenants/:slug/clients/:client_id',
    { schema: { tags, summary: "change a client's settings, disable or enable it", params: ClientParams, body: UpdateClientBody, response: responses({ 200: ClientResource }) } },
    async (request) => {
      const body = request.body;
      const client = await adminOf(request).updateClient(request.params.slug, request.params.client_id, {
        name: body.name,
        grantTypes: body.grant_types,
        scope: body.scope,
        defaultScope: body.default_scope,
        redirectUris: body.redirect_uris,
        accessTokenTtl: seconds(body.access_token_ttl, 'access_token_ttl'),
        refreshIdleTtl: seconds(body.refresh_idle_ttl, 'refresh_idle_ttl'),
        refreshAbsoluteTtl: seconds(body.refresh_absolute_ttl, 'refresh_absolute_ttl'),
        refreshGraceSeconds: seconds(body.refresh_grace, 'refresh_grace', { zero: true }),
        disabled: body.disabled,
      });
      return toClientResource(client);
    },
  );

  app.delete<{ Params: Static<typeof ClientParams> }>(
    '/tenants/:slug/clients/:client_id',
    { schema: { tags, summary: 'delete a client: every token issued to it is revoked; its id is never reused', params: ClientParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await adminOf(request).deleteClient(request.params.slug, request.params.client_id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof ClientParams>; Body: Static<typeof RotateSecretBody> | undefined }>(
    '/tenants/:slug/clients/:client_id/rotate-secret',
    {
      schema: {
        tags,
        summary: "issue a new secret, shown this once; without grace the old one stops at once and the client's access tokens are revoked (its refresh tokens survive: they need the new secret)",
        params: ClientParams,
        body: RotateSecretBody,
        response: responses({ 200: RotatedSecretResource }),
      },
    },
    async (request, reply) => {
      const grace = seconds(request.body?.grace, 'grace', { zero: true }) ?? 0;
      const rotated = await adminOf(request).rotateClientSecret(request.params.slug, request.params.client_id, { graceSeconds: grace });
      return reply.header('cache-control', 'no-store').send(toRotatedSecretResource(rotated));
    },
  );
}
