import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toGrantResource, toRevokedGrantResource, toUserResource } from '../../../core/admin/resources.js';
import type { AdminRouteContext } from './shared.js';
import {
  CreateUserBody,
  EndedSessionsResource,
  GrantParams,
  GrantResource,
  MemberParams,
  NoContent,
  PageOf,
  PageQuery,
  RevokedGrantResource,
  SlugParams,
  UpdateUserBody,
  UserParams,
  UserResource,
  responses,
} from './schemas.js';

const tags = ['users'];

/**
 * Users (a user may belong to several tenants): a tenant's members, memberships, the
 * user itself (password reset, disabling, deletion: operators only for a user who also
 * belongs to another tenant) and the grants the user gave applications.
 */
export async function userRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: PageQuery }>(
    '/tenants/:slug/users',
    { schema: { tags, summary: "list a tenant's users", params: SlugParams, querystring: PageQuery, response: responses({ 200: PageOf(UserResource) }) } },
    async (request) => {
      const page = await adminOf(request).listUsers(request.params.slug, request.query);
      return { items: page.items.map(toUserResource), next: page.next };
    },
  );

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof CreateUserBody> }>(
    '/tenants/:slug/users',
    { schema: { tags, summary: 'create a user in the tenant', params: SlugParams, body: CreateUserBody, response: responses({ 201: UserResource }) } },
    async (request, reply) => {
      const user = await adminOf(request).createUser(request.params.slug, request.body);
      return reply.code(201).send(toUserResource(user));
    },
  );

  app.put<{ Params: Static<typeof MemberParams> }>(
    '/tenants/:slug/users/:username',
    {
      schema: {
        tags,
        summary: 'make an existing user a member of the tenant (201 when added, 200 when it was one already)',
        params: MemberParams,
        response: responses({ 200: UserResource, 201: UserResource }),
      },
    },
    async (request, reply) => {
      const { user, added } = await adminOf(request).addUserToTenant(request.params.slug, request.params.username);
      return reply.code(added ? 201 : 200).send(toUserResource(user));
    },
  );

  app.delete<{ Params: Static<typeof MemberParams> }>(
    '/tenants/:slug/users/:username',
    {
      schema: {
        tags,
        summary: "end the user's membership (never its last one): its grants that include the tenant are revoked",
        params: MemberParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await adminOf(request).removeUserFromTenant(request.params.slug, request.params.username);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof UserParams> }>(
    '/users/:username',
    { schema: { tags, summary: 'read a user', params: UserParams, response: responses({ 200: UserResource }) } },
    async (request) => toUserResource(await adminOf(request).getUser(request.params.username)),
  );

  app.patch<{ Params: Static<typeof UserParams>; Body: Static<typeof UpdateUserBody> }>(
    '/users/:username',
    { schema: { tags, summary: "reset a user's password, disable or enable it", params: UserParams, body: UpdateUserBody, response: responses({ 200: UserResource }) } },
    async (request) => toUserResource(await adminOf(request).updateUser(request.params.username, request.body)),
  );

  app.delete<{ Params: Static<typeof UserParams> }>(
    '/users/:username',
    {
      schema: {
        tags,
        summary: 'delete a user for good: its grants are revoked, its consents forgotten, its account erased',
        params: UserParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await adminOf(request).deleteUser(request.params.username);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: Static<typeof UserParams> }>(
    '/users/:username/sessions',
    {
      schema: {
        tags,
        summary: "end every sign-in session of the user on every process (its grants stay): 200 with how many were ended",
        params: UserParams,
        response: responses({ 200: EndedSessionsResource }),
      },
    },
    async (request) => ({ ended: (await adminOf(request).revokeUserSessions(request.params.username)).ended }),
  );

  app.get<{ Params: Static<typeof UserParams>; Querystring: PageQuery }>(
    '/users/:username/grants',
    { schema: { tags, summary: 'list the grants the user gave applications', params: UserParams, querystring: PageQuery, response: responses({ 200: PageOf(GrantResource) }) } },
    async (request) => {
      const page = await adminOf(request).listGrants(request.params.username, request.query);
      return { items: page.items.map(toGrantResource), next: page.next };
    },
  );

  app.delete<{ Params: Static<typeof GrantParams> }>(
    '/users/:username/grants/:grant_id',
    {
      schema: {
        tags,
        summary: "revoke a grant (its refresh and access tokens) and forget the user's remembered consent for the client",
        params: GrantParams,
        response: responses({ 200: RevokedGrantResource }),
      },
    },
    async (request) => toRevokedGrantResource(await adminOf(request).revokeGrant(request.params.username, request.params.grant_id)),
  );
}
