import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { entityTag, TENANT_ASSETS_PREFIX } from '../../core/branding.js';
import { STYLESHEET, STYLESHEET_PATH } from '../../web/assets.js';
import { iconSvg } from '../../web/layout.js';
import { accentStylesheet, BRAND_STYLESHEET_PATH, CUSTOM_STYLESHEET_PATH, ICON_PATH, SITE_LOGO_PATH } from '../../web/site.js';
import type { RouteOptions } from './oauth.js';

/**
 * What the pages load besides themselves, all from this origin (their CSP allows no
 * other): the shared stylesheet, the deployment's accent stylesheet, logo and the
 * operator's stylesheet (read once at start, web/site.ts), and each tenant's accent
 * stylesheet and logo (read from storage). Each answer carries a strong ETag, and a
 * matching If-None-Match gets 304 (RFC 9110 §13.1.2).
 */
export async function assetRoutes(app: FastifyInstance, { services, site }: RouteOptions): Promise<void> {
  const stylesheetTag = entityTag(STYLESHEET);

  const send = (request: FastifyRequest, reply: FastifyReply, etag: string, type: string, body: string | Buffer, maxAge = 3600) => {
    reply.header('etag', etag).header('cache-control', `public, max-age=${maxAge}`).header('x-content-type-options', 'nosniff');
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type(type).send(body);
  };

  app.get(STYLESHEET_PATH, async (request, reply) => send(request, reply, stylesheetTag, 'text/css; charset=utf-8', STYLESHEET));

  // The icon: linked by every page, and at /favicon.ico, which browsers request on their own
  // (an SVG there is fine for them; it changes only with the product name: a day's cache).
  const icon = iconSvg(site.productName);
  const iconTag = entityTag(icon);
  for (const path of [ICON_PATH, '/favicon.ico']) {
    app.get(path, async (request, reply) => send(request, logoHeaders(reply, 'image/svg+xml'), iconTag, 'image/svg+xml', icon, 86_400));
  }

  const { brandStylesheet, customStylesheet, logo } = site.assets;
  if (brandStylesheet) app.get(BRAND_STYLESHEET_PATH, async (request, reply) => send(request, reply, brandStylesheet.etag, 'text/css; charset=utf-8', brandStylesheet.css));
  if (customStylesheet) app.get(CUSTOM_STYLESHEET_PATH, async (request, reply) => send(request, reply, customStylesheet.etag, 'text/css; charset=utf-8', customStylesheet.css));
  if (logo) app.get(SITE_LOGO_PATH, async (request, reply) => send(request, logoHeaders(reply, logo.contentType), logo.etag, logo.contentType, logo.data));

  const notFound = (reply: FastifyReply) => reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('not found');

  // Versioned URLs (?v=) change with the branding, so a short max-age is enough for the bare ones.
  app.get<{ Params: { file: string } }>(`${TENANT_ASSETS_PREFIX}:file`, async (request, reply) => {
    const slug = /^([a-z0-9-]{1,63})\.css$/.exec(request.params.file)?.[1];
    const tenant = slug ? await services.tenantBranding(slug) : undefined;
    if (!tenant?.branding.accent) return notFound(reply);
    const css = accentStylesheet(tenant.branding.accent);
    return send(request, reply, entityTag(css), 'text/css; charset=utf-8', css, 300);
  });

  app.get<{ Params: { slug: string } }>(`${TENANT_ASSETS_PREFIX}:slug/logo`, async (request, reply) => {
    const found = /^[a-z0-9-]{1,63}$/.test(request.params.slug) ? await services.tenantLogo(request.params.slug) : undefined;
    if (!found) return notFound(reply);
    return send(request, logoHeaders(reply, found.contentType), `"${found.digest}"`, found.contentType, found.data, 300);
  });
}

/**
 * An SVG is a document that could carry script: served on its own, it gets a CSP that
 * allows none (only its inline style), and nosniff keeps every logo what it says it is.
 */
function logoHeaders(reply: FastifyReply, contentType: string): FastifyReply {
  return contentType === 'image/svg+xml' ? reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'") : reply;
}

/** Whether If-None-Match lists the tag (weak comparison, RFC 9110 §13.1.2), or is `*`. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
