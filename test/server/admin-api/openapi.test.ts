/**
 * The admin API's OpenAPI document (/admin/api/openapi.json): generated from the route
 * schemas by @fastify/swagger, valid OpenAPI 3.1 (checked against the specification's
 * JSON Schema by @seriousme/openapi-schema-validator), and in step with the routes: every
 * registered /admin/api/v1 route is in the document and every documented operation is a
 * registered route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { ADMIN_API_PREFIX, adminApiRoutes } from '../../../packages/server/src/server/routes/admin-api/index.js';
import { createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../../helpers/gatehouse.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown>; security?: unknown }>>;
  components: { securitySchemes: Record<string, { type: string; flows?: { clientCredentials?: { tokenUrl: string } } }> };
}

describe('the admin API OpenAPI document', () => {
  let t: TestGatehouse;
  let document: OpenApiDocument;

  before(async () => {
    t = await createTestGatehouse();
    const response = await t.app.inject({ url: '/admin/api/openapi.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json() as OpenApiDocument;
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.match(document.openapi, /^3\.1\.\d+$/);
    const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0]);
    assert.deepEqual(result, { valid: true });
  });

  it('documents exactly the routes the plugin registers under /admin/api/v1', async () => {
    const registered: string[] = [];
    const app = Fastify({ logger: false });
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith(`${ADMIN_API_PREFIX}/v1/`)) return;
      for (const method of [route.method].flat()) if (method !== 'HEAD') registered.push(`${method} ${route.url}`);
    });
    await app.register(adminApiRoutes, {
      prefix: ADMIN_API_PREFIX,
      config: t.config,
      services: t.gatehouse.services,
      authenticate: (header) => t.gatehouse.services.adminAuthentication(header),
    });
    await app.ready();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    assert.ok(registered.length >= 30);
    assert.deepEqual([...documented].sort(), [...registered].sort());
    await app.close();
  });

  it('describes the gatehouse:admin client_credentials token, request bodies and problem answers', () => {
    const scheme = Object.values(document.components.securitySchemes)[0]!;
    assert.equal(scheme.type, 'oauth2');
    assert.equal(scheme.flows?.clientCredentials?.tokenUrl, `${TEST_ISSUER}/oauth/token`);
    const create = document.paths['/admin/api/v1/tenants/{slug}/clients']!.post!;
    assert.ok(create.requestBody?.content['application/json']?.schema, 'the body schema the route validates with');
    assert.ok(create.responses['201'] && create.responses.default, 'the created client and the problem');
  });
});
