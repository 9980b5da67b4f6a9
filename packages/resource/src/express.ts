import { BearerError } from './errors.js';
import { nodeHeaders } from './request.js';
import type { RouteRequirements } from './requirements.js';
import type { AccessTokenClaims } from './token-checks.js';
import { verifyRequest, type Verifier } from './verifier.js';

/**
 * The parts of Node's IncomingMessage the middleware reads (an Express request is one).
 * Structural, so that resource/ needs neither express nor node:http.
 */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
  url?: string;
  /** Express: the URL before mounting stripped a prefix. */
  originalUrl?: string;
  accessToken?: AccessTokenClaims | null;
}

/** The parts of Node's ServerResponse the middleware writes. */
export interface NodeResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  end(chunk?: string): unknown;
}

export type NextFunction = (error?: unknown) => void;

declare global {
  // Express's own Request (from @types/express, when installed) gains the property the
  // middleware sets; without @types/express this declares an interface nobody uses.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access token's claims, set by requireToken; null when its
       * requirements are public. `getAccessToken(req)` gives it non-null.
       */
      accessToken?: AccessTokenClaims | null;
    }
  }
}

/**
 * Connect/Express middleware: verifies the request's access token against
 * `requirements`, sets `req.accessToken` and calls `next()`; on a BearerError it answers
 * the request itself (status, `WWW-Authenticate`, `Cache-Control: no-store`, JSON body).
 *
 * ```ts
 * app.get('/files/:id', requireToken(verifier, { scopes: ['documents:read'] }), (req, res) => {
 *   res.json(findFile(getAccessToken(req).tenant, req.params.id));
 * });
 * ```
 */
export function requireToken(verifier: Verifier, requirements: RouteRequirements = {}) {
  return function gatehouseRequireToken(req: NodeRequestLike, res: NodeResponseLike, next: NextFunction): void {
    if (requirements.queryToken) {
      // RFC 6750 §2.3 / §5.3: a URL that may carry a token must not be cached or leak through Referer.
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    const verifiable = { headers: nodeHeaders(req.headers, req.rawHeaders), url: req.originalUrl ?? req.url ?? '/' };
    // A token verified before is answered before this returns; only the first sight of a
    // token, or a key or feed still loading, waits for verify().
    verifyRequest(
      verifier,
      verifiable,
      requirements,
      (claims) => {
        req.accessToken = claims;
        next();
      },
      (error) => {
        if (error instanceof BearerError) sendBearerError(res, error);
        else next(error);
      },
    );
  };
}

/** Writes a BearerError as the response (for hand-written handlers too). */
export function sendBearerError(res: NodeResponseLike, error: BearerError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  res.statusCode = error.status;
  res.setHeader('WWW-Authenticate', error.wwwAuthenticate);
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}
