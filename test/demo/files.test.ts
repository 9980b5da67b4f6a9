/**
 * The demo document API's routes, black-box through fastify.inject: what each answers
 * to a token with the right scope and tenant.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mintAccessToken } from '../../packages/server/src/core/access-token.js';
import { contentDisposition } from '@gatehouse-auth/example-document-api';
import { createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../helpers/gatehouse.js';
import { caller, createTenantClient, storedFileNames, upload, uploadOk, type ApiCaller } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SAFE_CSP = "default-src 'none'; sandbox";

describe('demo API: files', () => {
  let t: TestGatehouse;
  let acme: ApiCaller;

  before(async () => {
    t = await createTestGatehouse();
    acme = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
  });
  after(() => t.close());

  const get = (url: string, headers = acme.headers()) => t.app.inject({ method: 'GET', url, headers });

  describe('GET /api/tenants', () => {
    it('lists the tenant of a tenant token, with its name', async () => {
      const response = await get('/api/tenants', { authorization: `Bearer ${acme.token}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { tenants: [{ slug: 'acme', name: 'Acme Corp' }] });
    });

    it("lists the client's tenant for a tenant-free token, which the file routes refuse", async () => {
      const client = await createTenantClient(t.gatehouse, 'globex', 'Globex Inc');
      const found = await t.gatehouse.storage.clients.findClient(client.clientId);
      const { token, claims } = await mintAccessToken(
        { client: found!, subject: client.clientId, scope: ['documents:read'], tenant: undefined, ttl: 300 },
        { keys: t.gatehouse.keys, config: t.config },
        Date.now(),
      );
      assert.equal(claims.tenant, undefined, 'the token really is tenant-free');
      const response = await get('/api/tenants', { authorization: `Bearer ${token}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { tenants: [{ slug: 'globex', name: 'Globex Inc' }] });
      const files = await get('/api/files', { authorization: `Bearer ${token}`, 'x-tenant': 'globex' });
      assert.equal(files.statusCode, 403);
      assert.match(String(files.headers['www-authenticate']), /error="insufficient_scope"/);
    });

    it('needs a token', async () => {
      const response = await get('/api/tenants', {});
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /^Bearer realm=/);
    });
  });

  describe('upload, list, read', () => {
    it('POST /api/files stores the upload and answers 201 with its metadata', async () => {
      const before = Date.now();
      const response = await upload(t.app, acme, 'hello, world\n', 'greeting.txt');
      assert.equal(response.statusCode, 201, response.body);
      const body = response.json() as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['content_type', 'created_at', 'id', 'name', 'size']);
      assert.match(String(body.id), UUID);
      assert.equal(body.name, 'greeting.txt');
      assert.equal(body.size, 13);
      assert.equal(body.content_type, 'text/plain');
      const created = Date.parse(String(body.created_at));
      assert.ok(created >= before - 1 && created <= Date.now() + 1, `created_at ${String(body.created_at)} is now`);
      assert.equal(response.headers.location, `/api/files/${String(body.id)}`);
      assert.equal(readFileSync(join(t.dir, 'document-api', 'files', String(body.id)), 'utf8'), 'hello, world\n', 'the bytes are under the data directory');
    });

    it("GET /api/files lists the tenant's files, oldest first", async () => {
      const t2 = await createTestGatehouse();
      try {
        const who = await caller(t2.app, await createTenantClient(t2.gatehouse, 'acme', 'Acme Corp'));
        const empty = await t2.app.inject({ method: 'GET', url: '/api/files', headers: who.headers() });
        assert.equal(empty.statusCode, 200);
        assert.deepEqual(empty.json(), { files: [] });
        const first = (await upload(t2.app, who, 'one', 'one.txt')).json() as { id: string };
        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = (await upload(t2.app, who, 'second', 'two.txt')).json() as { id: string };
        const listed = await t2.app.inject({ method: 'GET', url: '/api/files', headers: who.headers() });
        assert.equal(listed.statusCode, 200);
        assert.deepEqual(listed.json(), { files: [first, second] });
      } finally {
        await t2.close();
      }
    });

    it('GET /api/files/:id answers the metadata as the upload did', async () => {
      const uploaded = (await upload(t.app, acme, '{"a":1}', 'data.json')).json() as Record<string, unknown>;
      const response = await get(`/api/files/${String(uploaded.id)}`);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), uploaded);
    });

    it('GET /api/files/:id/content sends the bytes as a sandboxed attachment', async () => {
      const content = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x0a]);
      const response0 = await upload(t.app, acme, [{ name: 'file', filename: 'blob.bin', contentType: 'application/octet-stream', content }]);
      const id = (response0.json() as { id: string }).id;
      const response = await get(`/api/files/${id}/content`);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.rawPayload, content);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.equal(response.headers['content-length'], '5');
      assert.equal(response.headers['content-disposition'], 'attachment; filename*=UTF-8\'\'blob.bin; filename="blob.bin"');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['content-security-policy'], SAFE_CSP);
    });

    it('an HTML upload is served as a download under a sandbox, never as a page', async () => {
      const id = (
        (await upload(t.app, acme, [{ name: 'file', filename: 'evil.html', contentType: 'text/html', content: '<script>alert(document.domain)</script>' }])).json() as {
          id: string;
        }
      ).id;
      const response = await get(`/api/files/${id}/content`);
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-disposition']), /^attachment;/);
      assert.equal(response.headers['content-security-policy'], SAFE_CSP);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    });

    it('keeps a UTF-8 file name and encodes it per RFC 8187 in Content-Disposition', async () => {
      const name = "Vertrag (final) – naïve 'ok' 契約.pdf";
      const response = await upload(t.app, acme, [{ name: 'file', filename: name, contentType: 'application/pdf', content: '%PDF-1.7' }]);
      assert.equal(response.statusCode, 201, response.body);
      const { id, name: stored } = response.json() as { id: string; name: string };
      assert.equal(stored, name);
      const content = await get(`/api/files/${id}/content`);
      const disposition = /^attachment; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+); filename="([\x20-\x7e]*)"$/.exec(String(content.headers['content-disposition']));
      assert.ok(disposition, `${String(content.headers['content-disposition'])}: RFC 8187 attr-chars only, then an ASCII fallback`);
      assert.equal(decodeURIComponent(disposition[1]!), name);
      assert.equal(disposition[2], "Vertrag (final) _ na_ve 'ok' __.pdf");
    });

    it('the ASCII fallback file name cannot break out of its quoted string', () => {
      assert.equal(contentDisposition('a"b%c;d.txt'), `attachment; filename*=UTF-8''a%22b%25c%3Bd.txt; filename="a_b_c;d.txt"`);
    });

    it('strips directories and control characters from the file name', async () => {
      const response = await upload(t.app, acme, [{ name: 'file', filename: 'a\u202eexe.txt', contentType: 'text/plain', content: 'x' }]);
      assert.equal(response.statusCode, 201, response.body);
      assert.equal((response.json() as { name: string }).name, 'aexe.txt', 'the right-to-left override is gone');
    });
  });

  describe('delete', () => {
    it('DELETE /api/files/:id answers 204 and removes the row and the bytes', async () => {
      const id = await uploadOk(t.app, acme, 'to be deleted');
      assert.ok(existsSync(join(t.dir, 'document-api', 'files', id)));
      const response = await t.app.inject({ method: 'DELETE', url: `/api/files/${id}`, headers: acme.headers() });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal((await get(`/api/files/${id}`)).statusCode, 404);
      assert.equal((await get(`/api/files/${id}/content`)).statusCode, 404);
      assert.ok(!existsSync(join(t.dir, 'document-api', 'files', id)), 'the bytes are gone');
      assert.ok(!storedFileNames(t.dir).includes(id));
      const again = await t.app.inject({ method: 'DELETE', url: `/api/files/${id}`, headers: acme.headers() });
      assert.equal(again.statusCode, 404);
    });
  });

  describe('publish', () => {
    it('POST /api/files/:id/publish answers a download URL that works without a token', async () => {
      const id = await uploadOk(t.app, acme, 'signed contract', 'contract.txt');
      const response = await t.app.inject({ method: 'POST', url: `/api/files/${id}/publish`, headers: acme.headers() });
      assert.equal(response.statusCode, 200, response.body);
      const { download_url: url } = response.json() as { download_url: string };
      const match = new RegExp(`^${TEST_ISSUER}/files/([^/]+)/download$`).exec(url);
      assert.ok(match, `download_url ${url} is <issuer>/files/<uuid>/download`);
      assert.match(match[1]!, UUID);
      assert.notEqual(match[1], id, 'the public id is not the file id');

      const download = await t.app.inject({ method: 'GET', url: url.slice(TEST_ISSUER.length) });
      assert.equal(download.statusCode, 200);
      assert.equal(download.body, 'signed contract');
      assert.equal(download.headers['content-disposition'], 'attachment; filename*=UTF-8\'\'contract.txt; filename="contract.txt"');
      assert.equal(download.headers['content-type'], 'text/plain');
      assert.equal(download.headers['x-content-type-options'], 'nosniff');
      assert.equal(download.headers['content-security-policy'], SAFE_CSP);
    });

    it('publishing again returns the same URL', async () => {
      const id = await uploadOk(t.app, acme, 'x');
      const publish = async () => (await t.app.inject({ method: 'POST', url: `/api/files/${id}/publish`, headers: acme.headers() })).json() as { download_url: string };
      const first = await publish();
      assert.deepEqual(await publish(), first);
    });

    it('DELETE /api/files/:id/publish withdraws the link: the old URL 404s, a new publication gets a new one', async () => {
      const id = await uploadOk(t.app, acme, 'withdrawn');
      const first = (await t.app.inject({ method: 'POST', url: `/api/files/${id}/publish`, headers: acme.headers() })).json() as { download_url: string };
      const path = first.download_url.slice(TEST_ISSUER.length);
      assert.equal((await t.app.inject({ method: 'GET', url: path })).statusCode, 200);

      const withdraw = await t.app.inject({ method: 'DELETE', url: `/api/files/${id}/publish`, headers: acme.headers() });
      assert.equal(withdraw.statusCode, 204);
      const gone = await t.app.inject({ method: 'GET', url: path });
      assert.equal(gone.statusCode, 404);
      assert.equal((gone.json() as { error: string }).error, 'not_found');
      assert.equal((await get(`/api/files/${id}/content`)).statusCode, 200, 'the file itself stays');

      const again = (await t.app.inject({ method: 'POST', url: `/api/files/${id}/publish`, headers: acme.headers() })).json() as { download_url: string };
      assert.notEqual(again.download_url, first.download_url);
      assert.equal((await t.app.inject({ method: 'GET', url: path })).statusCode, 404);
    });

    it('deleting a published file ends its link', async () => {
      const id = await uploadOk(t.app, acme, 'short-lived');
      const { download_url: url } = (await t.app.inject({ method: 'POST', url: `/api/files/${id}/publish`, headers: acme.headers() })).json() as { download_url: string };
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/files/${id}`, headers: acme.headers() })).statusCode, 204);
      assert.equal((await t.app.inject({ method: 'GET', url: url.slice(TEST_ISSUER.length) })).statusCode, 404);
    });

    it('unknown and malformed download links answer 404 JSON', async () => {
      for (const path of ['/files/00000000-0000-4000-8000-000000000000/download', '/files/not-a-uuid/download', `/files/${'a'.repeat(100)}/download`, '/files/%2e%2e%2fmaster.key/download']) {
        const response = await t.app.inject({ method: 'GET', url: path });
        assert.equal(response.statusCode, 404, path);
        assert.equal((response.json() as { error: string }).error, 'not_found', path);
      }
      // Past Fastify's maxParamLength (100) the router refuses the URL before routing: the server-wide 414.
      const overlong = await t.app.inject({ method: 'GET', url: `/files/${'a'.repeat(101)}/download` });
      assert.equal(overlong.statusCode, 414);
      assert.equal((overlong.json() as { error: string }).error, 'invalid_request');
    });
  });
});
