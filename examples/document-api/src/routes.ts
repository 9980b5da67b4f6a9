/**
 * The demo document API: files that belong to a tenant, protected by
 * @gatehouse-auth/resource. It is the first thing a new user tries and the working example
 * for API providers: each route states what it asks of the access token in `config.auth`,
 * and the gatehouseResource plugin enforces it before the handler runs. It uses nothing
 * of the authorization server but what the host hands it (DocumentApiHost), and keeps
 * its files in its own storage (store.ts, files.ts).
 *
 * | route | token |
 * |---|---|
 * | `GET /api/tenants` | any valid token, with or without a tenant |
 * | `GET /api/files`, `GET /api/files/:id` | `documents:read`, `X-Tenant` |
 * | `GET /api/files/:id/content` | `documents:read`, the token's tenant (`X-Tenant` optional, so a browser can follow a link); also `?access_token=` |
 * | `POST /api/files` (multipart, field `file`) | `documents:write`, `X-Tenant` |
 * | `POST` / `DELETE /api/files/:id/publish` | `documents:write`, `X-Tenant` |
 * | `DELETE /api/files/:id` | `documents:delete`, `X-Tenant` |
 * | `GET /files/:uuid/download` | none: the public link |
 *
 * Another tenant's file answers 404, exactly like a file that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { gatehouseResource, type AccessTokenClaims, type RouteRequirements, type Verifier } from '@gatehouse-auth/resource';
import { ApiError, badRequest, notFound, sendApiError, tooLarge, unavailable } from './errors.js';
import { FileBytes, isFileId, type OpenedFile, type PendingUpload } from './files.js';
import { isLoopbackIssuer, type DocumentApiSettings } from './settings.js';
import { FileStoreUnavailableError, openFileStore, type FileStore, type StoredFile } from './store.js';

/** A tenant as the API shows it. */
export interface TenantJson {
  slug: string;
  name: string;
}

/**
 * What the document API needs from the server that mounts it: the server's token
 * verifier, and the one question about its data the API cannot answer from the token.
 */
export interface DocumentApiHost {
  /** Verifies the access tokens; the host owns it (and closes it). */
  verifier: Verifier;
  /**
   * The tenants a verified token may act for, with their display names: a tenant
   * token's own tenant (if it exists), the tenants a user granted (a tenant-free token
   * from a grant), or the client's tenant (a tenant-free client token).
   */
  tenantsOf(claims: AccessTokenClaims): Promise<TenantJson[]>;
  /** The server's issuer: the public download links start with it. */
  issuer: string;
  /** The files go to `<dataDir>/document-api/`: files.db and files/. */
  dataDir: string;
}

export interface DocumentApiOptions {
  host: DocumentApiHost;
  settings: DocumentApiSettings;
  /** The metadata store; default: the SQLite file `<dataDir>/document-api/files.db`, closed with the app. */
  store?: FileStore;
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
 * The document API as a Fastify plugin. Register it encapsulated (not with
 * skip-override): its token check, its multipart parser and its error handler then apply
 * to its own routes only, never to the host's (the OAuth endpoints).
 */
export async function documentApi(app: FastifyInstance, options: DocumentApiOptions): Promise<void> {
  const { host, settings } = options;
  if (!isLoopbackIssuer(host.issuer)) {
    app.log.warn('the demo document API is on for a non-loopback issuer: any token with documents:write can store files on this server; set GATEHOUSE_DEMO_API=false in production');
  }
  const directory = join(host.dataDir, 'document-api');
  const bytes = new FileBytes(join(directory, 'files'));
  const files = options.store ?? openFileStore(join(directory, 'files.db'));
  if (!options.store) app.addHook('onClose', async () => files.close());
  const maxUploadBytes = settings.maxUploadBytes;
  const limits = {
    fileSize: maxUploadBytes,
    files: 1,
    fields: 20,
    fieldSize: 16_384,
    fieldNameSize: 100,
    parts: 25,
    headerPairs: 50,
  };

  await app.register(multipart, { limits });
  acceptEmptyBodies(app);
  await app.register(gatehouseResource, { verifier: host.verifier });

  /** The tenant the request acts for: the token's (which gatehouseResource checked against X-Tenant), if the host knows it. */
  async function tenantOf(request: FastifyRequest): Promise<string> {
    const claims = request.accessToken!;
    const slug = claims.tenant;
    if (slug === undefined || !(await host.tenantsOf(claims)).some((tenant) => tenant.slug === slug)) {
      throw notFound('the tenant of this access token does not exist');
    }
    return slug;
  }

  /** The tenant's file named by `:id`; 404 for a malformed id (never looked up), an unknown one, or another tenant's. */
  async function fileOf(request: FastifyRequest<IdParams>): Promise<{ tenant: string; file: StoredFile }> {
    const tenant = await tenantOf(request);
    const file = isFileId(request.params.id) ? await files.findFile(tenant, request.params.id) : undefined;
    if (!file) throw notFound('no such file');
    return { tenant, file };
  }

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof ApiError) return sendApiError(reply, error);
    if (error instanceof FileStoreUnavailableError) {
      request.log.error({ err: error.cause }, 'document API: the file store is unavailable');
      return sendApiError(reply, unavailable());
    }
    throw error; // to the host's error handler
  });

  // A tenant token acts for its tenant. A tenant-free token of a user (from a grant) may
  // list the tenants the user granted; one of a client, its client's tenant.
  app.get('/api/tenants', { config: { auth: { tenant: 'free' } } }, async (request) => ({ tenants: await host.tenantsOf(request.accessToken!) }));

  app.get('/api/files', { config: { auth: READ } }, async (request) => {
    const tenant = await tenantOf(request);
    return { files: (await files.listFiles(tenant)).map(toJson) };
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
        if (part.file.truncated) throw uploadTooLarge(maxUploadBytes);
      }
    } catch (error) {
      await upload?.discard();
      throw uploadError(error, maxUploadBytes);
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
      file = await files.createFile(tenant, { id, name, size: upload.size, contentType });
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
    if (!(await files.deleteFile(tenant, file.id))) throw notFound('no such file');
    // The file is deleted either way; bytes that could not be removed are unreachable.
    await bytes.remove(file.id).catch((error: unknown) => request.log.error({ err: error, fileId: file.id }, 'document API: could not remove the bytes of a deleted file'));
    return reply.code(204).send();
  });

  app.post<IdParams>('/api/files/:id/publish', { config: { auth: WRITE } }, async (request) => {
    const { tenant, file } = await fileOf(request);
    // 122 random bits: the link is the capability. An already published file keeps its link.
    const published = await files.publishFile(tenant, file.id, randomUUID());
    if (!published?.publicId) throw notFound('no such file');
    return { download_url: `${host.issuer}/files/${published.publicId}/download` };
  });

  app.delete<IdParams>('/api/files/:id/publish', { config: { auth: WRITE } }, async (request, reply) => {
    const { tenant, file } = await fileOf(request);
    if (!(await files.unpublishFile(tenant, file.id))) throw notFound('no such file');
    return reply.code(204).send();
  });

  app.get<{ Params: { uuid: string } }>('/files/:uuid/download', { config: { auth: { public: true } } }, async (request, reply) => {
    const file = isFileId(request.params.uuid) ? await files.findPublishedFile(request.params.uuid) : undefined;
    if (!file) throw notFound('no such download link');
    return sendContent(request, reply, file, await bytes.open(file.id));
  });
}

function sendContent(request: FastifyRequest, reply: FastifyReply, file: StoredFile, opened: OpenedFile | undefined): FastifyReply {
  if (!opened) {
    request.log.error({ fileId: file.id }, 'document API: the bytes of a file are missing');
    return sendApiError(reply, notFound('the content of this file is missing'));
  }
  return reply
    .code(200)
    .headers(SAFE_DOWNLOAD_HEADERS)
    .header('content-type', file.contentType)
    .header('content-length', opened.size)
    .header('content-disposition', contentDisposition(file.name))
    .send(opened.stream);
}

/**
 * An empty body is no body, whatever its framing: `POST /api/files/:id/publish` sent with
 * `Transfer-Encoding: chunked`, no `Content-Type` and nothing in it (RFC 9112 §7.1) is
 * answered like one without a body. Fastify has no parser for "no media type"; this
 * catch-all one accepts such a body when it is empty and refuses anything else, as before.
 */
function acceptEmptyBodies(app: FastifyInstance): void {
  app.addContentTypeParser('*', (request, payload, done) => {
    if (request.headers['content-type'] !== undefined) return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      payload.removeAllListeners('data');
      done(error, undefined);
    };
    payload.on('data', () => settle(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE()));
    payload.on('end', () => settle(null));
    payload.on('error', (error) => settle(error));
  });
}

function toJson(file: StoredFile): FileJson {
  return { id: file.id, name: file.name, size: file.size, content_type: file.contentType, created_at: new Date(file.createdAt).toISOString() };
}

const uploadTooLarge = (limit: number) => tooLarge(`the file is larger than the upload limit of ${limit} bytes`);

/**
 * What a failed upload answers. Disk errors stay errors (500, logged); anything wrong
 * with the multipart body itself is the client's: 400, or 413 for a limit.
 */
function uploadError(error: unknown, limit: number): unknown {
  if (error instanceof ApiError) return error;
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof syscall === 'string') return error;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return uploadTooLarge(limit);
    case 'FST_FILES_LIMIT':
      return badRequest('send one file per request, in the field "file"');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return tooLarge('the multipart body has too many parts');
    default:
      return badRequest('the multipart/form-data body could not be read', error);
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
