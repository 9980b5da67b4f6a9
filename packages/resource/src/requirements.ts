/**
 * Route requirements: what a route asks of a verified token (scopes, tenant), checked on
 * every request, and validated once when the route is declared.
 */
import type { BearerError } from './errors.js';
import { headerValues, type VerifiableRequest } from './request.js';
import type { AccessTokenClaims } from './token-checks.js';

/** How a route relates to tenants (docs/resource-server.md). */
export type TenantRequirement = 'token' | 'header' | 'free';

/** What a route asks of the request's access token. */
export interface RouteRequirements {
  /** Every listed scope must be in the token's `scope`. Default: none. */
  scopes?: readonly string[];
  /**
   * `'token'` (default): the token must carry a tenant. `'header'`: the `X-Tenant`
   * request header is required and must equal the token's tenant. `'free'`: a
   * tenant-free route, reachable with tokens with or without a tenant.
   */
  tenant?: TenantRequirement;
  /** Also accept `?access_token=` (RFC 6750 §2.3), for downloads a browser follows. Default false. */
  queryToken?: boolean;
  /** No token needed at all: `verify` resolves to null without looking at the request. */
  public?: boolean;
}

/** Builds the 403 of a token that does not meet the route's requirements (RFC 6750 §3.1). */
export type RequirementFailure = (code: 'insufficient_scope', description: string, extra?: { scope?: readonly string[] }) => BearerError;

/** An X-Tenant value that may be named in an error description as it is. */
const PRINTABLE_TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Scope and tenant: what the route asks of a verified token. Returns the claims, or throws. */
export function checkRequirements(request: VerifiableRequest, requirements: RouteRequirements, claims: AccessTokenClaims, fail: RequirementFailure): AccessTokenClaims {
  const needed = requirements.scopes ?? [];
  if (needed.length > 0) {
    const granted = new Set((claims.scope ?? '').split(' ').filter(Boolean));
    const missing = needed.filter((scope) => !granted.has(scope));
    if (missing.length > 0) {
      throw fail('insufficient_scope', `the access token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, { scope: needed });
    }
  }

  const tenant = requirements.tenant ?? 'token';
  if (tenant === 'token' || tenant === 'header') {
    if (claims.tenant === undefined) throw fail('insufficient_scope', 'a tenant-free token can only reach tenant-free routes');
    // 'header' requires X-Tenant; 'token' takes the tenant from the token, but an
    // X-Tenant that is sent must still agree with it.
    const values = headerValues(request.headers, 'x-tenant');
    if (values.length > 1) throw fail('insufficient_scope', 'the X-Tenant header must name exactly one tenant');
    const named = values[0]?.trim() ?? '';
    if (named === '' && tenant === 'header') throw fail('insufficient_scope', 'the X-Tenant header is required');
    if (named !== '' && named !== claims.tenant) {
      // Only a plain slug is named back; anything else could be crafted to mislead whoever reads the error.
      throw fail('insufficient_scope', PRINTABLE_TENANT.test(named) ? `the access token is not valid for tenant ${named}` : 'the access token is not valid for the tenant named in X-Tenant');
    }
  }
  return claims;
}

const TENANT_REQUIREMENTS = new Set(['token', 'header', 'free']);

/**
 * Refuses requirements that would silently weaken the check (a misspelt tenant mode, a
 * scope string instead of a list). Throws TypeError: a programming error, not a request's.
 * The Fastify plugin runs it for every route at registration, so it fails at startup.
 */
export function validateRequirements(requirements: RouteRequirements): void {
  if (requirements === null || typeof requirements !== 'object') throw new TypeError('route requirements must be an object');
  const { scopes, tenant, queryToken } = requirements;
  if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || scope === ''))) {
    throw new TypeError('route requirements: scopes must be an array of scope names');
  }
  if (tenant !== undefined && !TENANT_REQUIREMENTS.has(tenant)) throw new TypeError(`route requirements: tenant must be 'token', 'header' or 'free', not ${JSON.stringify(tenant)}`);
  if (queryToken !== undefined && typeof queryToken !== 'boolean') throw new TypeError('route requirements: queryToken must be a boolean');
  if (requirements.public !== undefined && typeof requirements.public !== 'boolean') throw new TypeError('route requirements: public must be a boolean');
}
