import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * True when a request says it comes from another site than the issuer's origin: a
 * `Sec-Fetch-Site` other than `same-origin` or `none` (a user typing or bookmarking), or
 * an `Origin` that is not the issuer's. A request saying neither (an older browser; an
 * `Origin: null`, which is what a same-origin form POST carries under our pages'
 * `Referrer-Policy: no-referrer`, Fetch §3.1 "append a request Origin header") passes:
 * the CSRF token and the SameSite cookies remain the defence there.
 */
export function isCrossSite(request: FastifyRequest, issuerOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  return origin !== undefined && origin !== 'null' && origin !== issuerOrigin;
}

/**
 * Defence in depth besides SameSite cookies and CSRF tokens (issue 16): every POST of
 * this scope that a browser marks as cross-site (isCrossSite) is answered by `refuse`
 * (a 403 page) before its body is read or its cookies are looked at.
 */
export function refuseCrossSitePosts(app: FastifyInstance, issuer: string, refuse: (reply: FastifyReply) => FastifyReply): void {
  const issuerOrigin = new URL(issuer).origin;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && isCrossSite(request, issuerOrigin)) return refuse(reply);
  });
}
