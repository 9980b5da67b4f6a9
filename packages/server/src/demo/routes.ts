/**
 * The demo document API: files that belong to a tenant, protected by gatehouse/resource.
 * It is the first thing a new user tries and the working example for API providers:
 * each route states what it asks of the access token in `config.auth`, and the
 * gatehouseResource plugin enforces it before the handler runs.
 *
 * | route | token |
 * |---|---|
 * | `GET /api/tenants` | any valid token, with or without a tenant |
 * | `GET /api/files`, `GET /api/files/:id` | `documents:read`, `X-Tenant` |
 * | `GET /api/files/:id/content` | `documents:read`, `X-Tenant`; also `?access_token=` |
 * | `POST /api/files` (multipart, field `file`) | `documents:write`, `X-Tenant` |
 * | `POST` / `DELETE /api/files/:id/publish` | `documents:write`, `X-Tenant` |
 * | `DELETE /api/files/:id` | `documents:delete`, `X-Tenant` |
 * | `GET /files/:uuid/download` | none: the public link |
 *
 * Another tenant's file answers 404, exactly like a file that does not exist.
 */
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../core/config.js';
import { OAuthError } from '../core/errors.js';
import type { ClientStore, FileStore, GrantStore, PublishedFileStore, TenantStore } from '../core/storage.js';
import type { StoredFile, Tenant } from '../core/types.js';
import { gatehouseResource, type RouteRequirements, type Verifier } from '@gatehouse-auth/resource';
import { FileBytes, isFileId, type OpenedFile, type PendingUpload } from './files.js';

export interface DemoApiOptions {
  /** The narrow part of a Gatehouse the demo needs (a whole Gatehouse will do). */
  gatehouse: {
    config: Pick<Config, 'issuer' | 'dataDir' | 'demoMaxUploadBytes'>;
    storage: {
      tenants: Pick<TenantStore, 'findTenantBySlug'>;
      clients: Pick<ClientStore, 'findClient'>;
      grants: Pick<GrantStore, 'findGrant'>;
      files: FileStore;
      publishedFiles: PublishedFileStore;
    };
  };
  verifier: Verifier;
}

/** The JSON of a file. */
export interface FileJson {
  id: string;
  name: string;
  size: number;
  content_type: string;
  /** ISO 8601, UTC. */
  created_at: string;
}

const READ = { scopes: ['documents:read'], tenant: 'header' } satisfies RouteRequirements;
const WRITE = { scopes: ['documents:write'], tenant: 'header' } satisfies RouteRequirements;
const DELETE = { scopes: ['documents:delete'], tenant: 'header' } satisfies RouteRequirements;

/**
 * User uploads must never run as a page of the authorization server's origin: always a
 * download, never sniffed, and sandboxed with nothing allowed should a browser render it.
 */
const SAFE_DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
};

type IdParams = { Params: { id: string } };

/**
 * The demo API as a Fastify plugin. Register it encapsulated (not with skip-override):
 * its token check and its multipart parser then apply to its own routes only, never to
 * the OAuth endpoints.
 */
export async function demoApi(app: FastifyInstance, options: DemoApiOptions): Promise<void> {
  const { config, storage } = options.gatehouse;
  const bytes = new FileBytes(config.dataDir);
  const limits = {
    fileSize: config.demoMaxUploadBytes,
    files: 1,
    fields: 20,
    fieldSize: 16_384,
    fieldNameSize: 100,
    parts: 25,
    headerPairs: 50,
  };

  await app.register(multipart, { limits });
  await app.register(gatehouseResource, { verifier: options.verifier });

  /** The tenant the request acts for: the token's, which gatehouseResource checked against X-Tenant. */
  async function tenantOf(request: FastifyRequest): Promise<Tenant> {
    const slug = request.accessToken?.tenant;
    const tenant = slug === undefined ? undefined : await storage.tenants.findTenantBySlug(slug);
    if (!tenant) throw new DemoNotFound('the tenant of this access token does not exist');
    return tenant;
  }

  /** The tenant's file named by `:id`; 404 for a malformed id (never looked up), an unknown one, or another tenant's. */
  async function fileOf(request: FastifyRequest<IdParams>): Promise<{ tenant: Tenant; file: StoredFile }> {
    const tenant = await tenantOf(request);
    const file = isFileId(request.params.id) ? await storage.files.findFile(tenant.id, request.params.id) : undefined;
    if (!file) throw new DemoNotFound('no such file');
    return { tenant, file };
  }

  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof DemoNotFound) return sendNotFound(reply, error.message);
    throw error; // to the server's error serializer
  });

  app.get('/api/tenants', { config: { auth: { tenant: 'free' } } }, async (request) => {
    const claims = request.accessToken!;
    // A tenant token acts for its tenant. A tenant-free token of a user (from a grant) may
    // list the tenants the user granted; one of a client, its client's tenant.
    const grantId = (claims as { grant_id?: unknown }).grant_id;
    const slugs =
      claims.tenant !== undefined
        ? [claims.tenant]
        : typeof grantId === 'string'
          ? ((await storage.grants.findGrant(grantId))?.tenants ?? [])
          : [(await storage.clients.findClient(claims.client_id))?.tenantSlug].filter((slug): slug is string => slug !== undefined);
    const tenants = (await Promise.all(slugs.map((slug) => storage.tenants.findTenantBySlug(slug)))).filter((tenant) => tenant !== undefined);
    return { tenants: tenants.map((tenant) => ({ slug: tenant.slug, name: tenant.name })) };
  });

  app.get('/api/files', { config: { auth: READ } }, async (request) => {
    const tenant = await tenantOf(request);
    return { files: (await storage.files.listFiles(tenant.id)).map(toJson) };
  });

  app.post('/api/files', { config: { auth: WRITE } }, async (request, reply) => {
    const tenant = await tenantOf(request);
    if (!request.isMultipart()) throw badRequest('send the file as multipart/form-data, in the field "file"');

    let upload: PendingUpload | undefined;
    let name = '';
    let contentType = '';
    await bytes.prepare();
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue; // other form fields are ignored
        if (part.fieldname !== 'file') throw badRequest('send the file in the multipart field "file"');
        name = cleanFileName(part.filename);
        contentType = cleanContentType(part.mimetype);
        upload = await bytes.receive(part.file);
        if (part.file.truncated) throw tooLarge(config.demoMaxUploadBytes);
      }
    } catch (error) {
      await upload?.discard();
      throw uploadError(error, config.demoMaxUploadBytes);
    }
    if (!upload) throw badRequest('no file: send multipart/form-data with the file in the field "file"');

    const id = randomUUID();
    try {
      await upload.commit(id);
    } catch (error) {
      await upload.discard();
      throw error;
    }
    let file: StoredFile;
    try {
      file = await storage.files.createFile(tenant.id, { id, name, size: upload.size, contentType });
    } catch (error) {
      await bytes.remove(id);
      throw error;
    }
    return reply.code(201).header('location', `/api/files/${id}`).send(toJson(file));
  });

  app.get<IdParams>('/api/files/:id', { config: { auth: READ } }, async (request) => toJson((await fileOf(request)).file));

  // A link a browser follows (`?access_token=`) cannot carry X-Tenant: the token's tenant
  // decides here, and an X-Tenant that is sent must still agree with it.
  app.get<IdParams>('/api/files/:id/content', { config: { auth: { ...READ, tenant: 'token', queryToken: true } } }, async (request, reply) => {
    const { file } = await fileOf(request);
    return sendContent(request, reply, file, await bytes.open(file.id));
  });

  app.delete<IdParams>('/api/files/:id', { config: { auth: DELETE } }, async (request, reply) => {
    const { tenant, file } = await fileOf(request);
    // The row first: once it is gone nobody can reach the bytes, whatever happens next.
    if (!(await storage.files.deleteFile(tenant.id, file.id))) throw new DemoNotFound('no such file');
    // The file is deleted either way; bytes that could not be removed are unreachable.
    await bytes.remove(file.id).catch((error: unknown) => request.log.error({ err: error, fileId: file.id }, 'could not remove the bytes of a deleted demo file'));
    return reply.code(204).send();
  });

  app.post<IdParams>('/api/files/:id/publish', { config: { auth: WRITE } }, async (request) => {
    const { tenant, file } = await fileOf(request);
    // 122 random bits: the link is the capability. An already published file keeps its link.
    const published = await storage.files.publishFile(tenant.id, file.id, randomUUID());
    if (!published?.publicId) throw new DemoNotFound('no such file');
    return { download_url: `${config.issuer}/files/${published.publicId}/download` };
  });

  app.delete<IdParams>('/api/files/:id/publish', { config: { auth: WRITE } }, async (request, reply) => {
    const { tenant, file } = await fileOf(request);
    if (!(await storage.files.unpublishFile(tenant.id, file.id))) throw new DemoNotFound('no such file');
    return reply.code(204).send();
  });

  app.get<{ Params: { uuid: string } }>('/files/:uuid/download', { config: { auth: { public: true } } }, async (request, reply) => {
    const file = isFileId(request.params.uuid) ? await storage.publishedFiles.findPublishedFile(request.params.uuid) : undefined;
    if (!file) throw new DemoNotFound('no such download link');
    return sendContent(request, reply, file, await bytes.open(file.id));
  });
}

/** A 404 of the demo API (the same body as the server's not-found answer). */
class DemoNotFound extends Error {}

function sendNotFound(reply: FastifyReply, description: string): FastifyReply {
  return reply.code(404).send({ error: 'not_found', error_description: description, message: description });
}

function sendContent(request: FastifyRequest, reply: FastifyReply, file: StoredFile, opened: OpenedFile | undefined): FastifyReply {
  if (!opened) {
    request.log.error({ fileId: file.id }, 'the bytes of a demo file are missing');
    return sendNotFound(reply, 'the content of this file is missing');
  }
  return reply
    .code(200)
    .headers(SAFE_DOWNLOAD_HEADERS)
    .header('content-type', file.contentType)
    .header('content-length', opened.size)
    .header('content-disposition', contentDisposition(file.name))
    .send(opened.stream);
}

function toJson(file: StoredFile): FileJson {
  return { id: file.id, name: file.name, size: file.size, content_type: file.contentType, created_at: new Date(file.createdAt).toISOString() };
}

const badRequest = (description: string) => new OAuthError('invalid_request', description);

const tooLarge = (limit: number) =>
  new OAuthError('invalid_request', `the file is larger than the upload limit of ${limit} bytes`, { status: 413 });

/**
 * What a failed upload answers. Disk errors stay errors (500, logged); anything wrong
 * with the multipart body itself is the client's: 400, or 413 for a limit.
 */
function uploadError(error: unknown, limit: number): unknown {
  if (error instanceof OAuthError) return error;
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof syscall === 'string') return error;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(limit);
    case 'FST_FILES_LIMIT':
      return badRequest('send one file per request, in the field "file"');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new OAuthError('invalid_request', 'the multipart body has too many parts', { status: 413 });
    default:
      return new OAuthError('invalid_request', 'the multipart/form-data body could not be read', { cause: error });
  }
}

const FILE_NAME_MAX = 255;

/**
 * The name to keep for an upload: no directory, no control or bidirectional-override
 * characters (which disguise extensions), well-formed Unicode, at most 255 characters.
 */
export function cleanFileName(filename: string | undefined): string {
  const base = (filename ?? '').split(/[/\\]/).pop() ?? '';
  const kept = [...base.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')].filter((char) => {
    const code = char.codePointAt(0)!;
    return !(code < 0x20 || (code >= 0x7f && code < 0xa0) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069));
  });
  const name = kept.slice(0, FILE_NAME_MAX).join('').trim();
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The uploaded part's media type without parameters, when it is a well-formed one; else application/octet-stream. */
export function cleanContentType(mimetype: string | undefined): string {
  const type = (mimetype ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
}

/**
 * RFC 6266 §4.3 with RFC 8187 encoding: `attachment; filename*=UTF-8''<percent-encoded
 * name>`, then a plain-ASCII `filename` for clients that ignore `filename*` (curl -J
 * among them); clients that read both prefer `filename*` (RFC 6266 §4.3).
 */
export function contentDisposition(name: string): string {
  // attr-char (RFC 8187 §3.2.1) excludes ' ( ) *, which encodeURIComponent leaves alone.
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  // The fallback: printable ASCII without the quoted-string specials and `%` (which some clients decode).
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename*=UTF-8''${encoded}; filename="${fallback}"`;
}
