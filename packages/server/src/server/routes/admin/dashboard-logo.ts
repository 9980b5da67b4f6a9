import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { MAX_LOGO_BYTES } from '../../../core/branding.js';
import { ValidationError } from '../../../core/errors.js';
import { ADMIN_PATH, tenantPath } from '../../../web/admin/common.js';
import { formError, type DashboardContext } from './dashboard.js';
import { slugOf, tenantHomePage } from './dashboard-tenants.js';
import { adminMultipartForm } from './guard.js';

/** The path of the logo upload form's POST (a tenant's home page, Branding). */
export const LOGO_UPLOAD_PATH = `${ADMIN_PATH}/tenants/:slug/branding/logo`;

/**
 * The tenant logo's upload: the one dashboard route that reads multipart/form-data
 * (RFC 7578), so @fastify/multipart is registered in this scope only (everywhere else a
 * multipart body is refused, 415). It sits inside the admin guard's scope: the guard
 * resolves the session, then reads the form's fields up to the file and checks
 * `csrf_token` before this handler reads a byte of the file (guard.ts adminMultipartForm).
 * Busboy's limits bound what is read: one file of at most MAX_LOGO_BYTES + 1 (one byte
 * more, so core's check names the size of a file just over), a few small fields.
 */
export async function logoUploadRoutes(app: FastifyInstance, context: DashboardContext): Promise<void> {
  const { adminOf, page, redirect } = context;
  const homePage = tenantHomePage(context);
  await app.register(multipart, {
    limits: { files: 1, fileSize: MAX_LOGO_BYTES + 1, fields: 4, fieldSize: 1024, fieldNameSize: 64, parts: 5, headerPairs: 20 },
    throwFileSizeLimit: true,
  });

  app.post(LOGO_UPLOAD_PATH, async (request, reply) => {
    const { admin } = adminOf(request);
    const slug = slugOf(request);
    const { file } = await adminMultipartForm(request);
    try {
      // Another tenant's (NotFoundError, 404) before the file is read.
      await admin.getTenant(slug);
      // A browser sends an empty part with no file name when no file was chosen.
      if (!file || file.filename === '') throw new ValidationError('logo: choose an image file (PNG, JPEG, WebP or SVG) to upload');
      await admin.setTenantLogo(slug, await file.toBuffer());
    } catch (error) {
      file?.file.resume();
      if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') {
        return page(reply, await homePage(request, { logoForm: { error: `logo: the file is larger than ${MAX_LOGO_BYTES / 1024} KiB, the most a logo may be` } }), { status: 413 });
      }
      const { status, message } = formError(error);
      return page(reply, await homePage(request, { logoForm: { error: message } }), { status });
    }
    return redirect(reply, tenantPath(slug), 'logo-uploaded');
  });
}
