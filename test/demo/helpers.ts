import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createClient, getToken, type TestClient } from '../helpers/gatehouse.js';
import type { Gatehouse } from '../../packages/server/src/server/context.js';

export const ALL_SCOPES = 'documents:read documents:write documents:delete';

export interface Part {
  name: string;
  /** Present: a file part. */
  filename?: string;
  contentType?: string;
  content: string | Buffer;
}

const BOUNDARY = '----gatehouse-demo-test-7f3a';

/** A multipart/form-data body built by hand, so every byte of it is under the test's control. */
export function multipart(parts: Part[], boundary = BOUNDARY): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A tenant with a display name, and a client of it with every documents scope. */
export async function createTenantClient(gatehouse: Gatehouse, slug: string, name: string, scope = ALL_SCOPES): Promise<TestClient> {
  if (!(await gatehouse.storage.tenants.findTenantBySlug(slug))) await gatehouse.admin.tenants.create({ slug, name });
  return createClient(gatehouse, { tenant: slug, scope, defaultScope: scope });
}

export interface ApiCaller {
  client: TestClient;
  token: string;
  /** Headers for this caller: its token and its tenant in X-Tenant. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

export async function caller(app: FastifyInstance, client: TestClient, scope = ALL_SCOPES): Promise<ApiCaller> {
  const token = await getToken(app, client, { scope });
  return {
    client,
    token,
    headers: (extra = {}) => ({ authorization: `Bearer ${token}`, 'x-tenant': client.tenant, ...extra }),
  };
}

export async function upload(app: FastifyInstance, who: ApiCaller, parts: Part[] | string | Buffer, name = 'notes.txt'): Promise<LightMyRequestResponse> {
  const body = multipart(Array.isArray(parts) ? parts : [{ name: 'file', filename: name, contentType: 'text/plain', content: parts }]);
  return app.inject({ method: 'POST', url: '/api/files', headers: { ...who.headers(), ...body.headers }, payload: body.payload });
}

/** Uploads a file and returns its id; fails the test on anything but 201. */
export async function uploadOk(app: FastifyInstance, who: ApiCaller, content: string, name = 'notes.txt'): Promise<string> {
  const response = await upload(app, who, content, name);
  if (response.statusCode !== 201) throw new Error(`upload failed: ${response.statusCode} ${response.body}`);
  return (response.json() as { id: string }).id;
}

/** The example's own SQLite file under the data directory. */
export const filesDatabase = (dataDir: string) => join(dataDir, 'document-api', 'files.db');

/** The names in `<dataDir>/document-api/files` (temporary files included), or [] when it does not exist. */
export function storedFileNames(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'document-api', 'files')).sort();
  } catch {
    return [];
  }
}
