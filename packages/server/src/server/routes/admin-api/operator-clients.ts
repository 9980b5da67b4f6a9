import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toOperatorClientResource, toRotatedSecretResource } from '../../../core/admin/resources.js';
import { seconds, type AdminRouteContext } from './shared.js';
import {
  CreateOperatorClientBody,
  CreatedOperatorClientResource,
  NoContent,
  OperatorClientParams,
  OperatorClientResource,
  PageOf,
  PageQuery,
  RotateSecretBody,
  RotatedSecretResource,
  UpdateOperatorClientBody,
  responses,
} from './schemas.js';

const tags = ['operator clients'];

/**
 * /operator-clients: the deployment-wide clients whose gatehouse:admin tokens manage every
 * tenant. Operators only (a tenant's admin gets 403).
 */
export async function operatorClientRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Querystring: PageQuery }>(
    '/operator-clients',
    { schema: { tags, summary: 'list operator clients (operators)', querystring: PageQuery, response: responses({ 200: PageOf(OperatorClientResource) }) } },
    async (request) => {
      const page = await adminOf(request).listOperatorClients(request.query);
      return { items: page.items.map(toOperatorClientResource), next: page.next };
    },
  );

  app.post<{ Body: Static<typeof CreateOperatorClientBody> }>(
    '/operator-clients',
    {
      schema: {
        tags,
        summary: 'register an operator client (operators); the answer holds its secret, shown this once',
        body: CreateOperatorClientBody,
        response: responses({ 201: CreatedOperatorClientResource }),
      },
    },
    async (request, reply) => {
      const { name, scope, access_token_ttl } = request.body;
      const { client, secret } = await adminOf(request).createOperatorClient({ name, scope, accessTokenTtl: seconds(access_token_ttl, 'access_token_ttl') });
      return reply.code(201).header('cache-control', 'no-store').send({ ...toOperatorClientResource(client), client_secret: secret });
    },
  );

  app.get<{ Params: Static<typeof OperatorClientParams> }>(
    '/operator-clients/:client_id',
    { schema: { tags, summary: 'read an operator client (operators)', params: OperatorClientParams, response: responses({ 200: OperatorClientResource }) } },
    async (request) => toOperatorClientResource(await adminOf(request).getOperatorClient(request.params.client_id)),
  );

  app.patch<{ Params: Static<typeof OperatorClientParams>; Body: Static<typeof UpdateOperatorClientBody> }>(
    '/operator-clients/:client_id',
    {
      schema: {
        tags,
        summary: 'rename an operator client, change its token lifetime, disable or enable it (operators)',
        params: OperatorClientParams,
        body: UpdateOperatorClientBody,
        response: responses({ 200: OperatorClientResource }),
      },
    },
    async (request) => {
      const { name, access_token_ttl, disabled } = request.body;
      const client = await adminOf(request).updateOperatorClient(request.params.client_id, { name, accessTokenTtl: seconds(access_token_ttl, 'access_token_ttl'), disabled });
      return toOperatorClientResource(client);
    },
  );

  app.delete<{ Params: Static<typeof OperatorClientParams> }>(
    '/operator-clients/:client_id',
    { schema: { tags, summary: 'delete an operator client: its tokens are revoked (operators)', params: OperatorClientParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await adminOf(request).deleteOperatorClient(request.params.client_id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof OperatorClientParams>; Body: Static<typeof RotateSecretBody> | undefined }>(
    '/operator-clients/:client_id/rotate-secret',
    {
      schema: {
        tags,
        summary: "issue a new secret for an operator client, shown this once (operators)",
        params: OperatorClientParams,
        body: RotateSecretBody,
        response: responses({ 200: RotatedSecretResource }),
      },
    },
    async (request, reply) => {
      const grace = seconds(request.body?.grace, 'grace', { zero: true }) ?? 0;
      const rotated = await adminOf(request).rotateOperatorClientSecret(request.params.client_id, { graceSeconds: grace });
      return reply.header('cache-control', 'no-store').send(toRotatedSecretResource(rotated));
    },
  );
}
