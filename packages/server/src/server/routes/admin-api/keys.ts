import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { toNewSigningKeyResource, toSigningKeyResource } from '../../../core/admin/resources.js';
import type { AdminRouteContext } from './shared.js';
import { KeyParams, NewSigningKeyResource, NoContent, PageOf, PageQuery, RotateKeyBody, SigningKeyResource, responses } from './schemas.js';

const tags = ['signing keys'];

/** /keys: the token signing keys, deployment-wide: operators only. */
export async function keyRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Querystring: PageQuery }>(
    '/keys',
    { schema: { tags, summary: 'list the published signing keys (operators)', querystring: PageQuery, response: responses({ 200: PageOf(SigningKeyResource) }) } },
    async (request) => {
      const page = await adminOf(request).listKeys(request.query);
      return { items: page.items.map(toSigningKeyResource), next: page.next };
    },
  );

  app.post<{ Body: Static<typeof RotateKeyBody> | undefined }>(
    '/keys/rotate',
    {
      schema: {
        tags,
        summary: 'make a new signing key active; the previous one stays published until its tokens expire (operators)',
        body: RotateKeyBody,
        response: responses({ 201: NewSigningKeyResource }),
      },
    },
    async (request, reply) => reply.code(201).send(toNewSigningKeyResource(await adminOf(request).rotateKey(request.body?.alg))),
  );

  app.post<{ Params: Static<typeof KeyParams> }>(
    '/keys/:kid/withdraw',
    {
      schema: {
        tags,
        summary: 'withdraw a retired key at once (a compromised key): every token it signed stops verifying (operators)',
        params: KeyParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await adminOf(request).withdrawKey(request.params.kid);
      return reply.code(204).send();
    },
  );
}
