import { ForbiddenError, NotFoundError } from '../errors.js';

/**
 * Who is acting on the admin surfaces (admin API, dashboard), and how far their powers
 * reach. The CLI acts as an operator (`cli`): whoever runs it on the server has the
 * master key anyway.
 *
 * - `operator`: an operator account (dashboard) or an operator client's `gatehouse:admin`
 *   token (admin API). Manages every tenant and holds the deployment-wide powers
 *   (signing keys, operator clients, resource-server clients).
 * - `tenant`: a tenant admin account, or a `gatehouse:admin` client of that tenant.
 *   Manages its own tenant only.
 *
 * `actor` is what the audit log records: an operator's or tenant admin's username, or an
 * admin client's id.
 */
export type AdminPrincipal =
  | { kind: 'operator'; actor: string }
  | { kind: 'tenant'; tenant: string; actor: string };

/** The CLI's principal. */
export const CLI_PRINCIPAL: AdminPrincipal = Object.freeze({ kind: 'operator', actor: 'cli' });

export function isOperator(principal: AdminPrincipal): principal is { kind: 'operator'; actor: string } {
  return principal.kind === 'operator';
}

/** ForbiddenError (403) unless the principal is an operator: `what` names the action. */
export function requireOperator(principal: AdminPrincipal, what: string): void {
  if (principal.kind !== 'operator') throw new ForbiddenError(`${what} is reserved to operators`);
}

/**
 * NotFoundError (404) when the principal may not reach the tenant: a tenant principal
 * reaching another tenant learns nothing, not even that it exists (the same answer as
 * for a tenant that does not exist).
 */
export function requireTenantAccess(principal: AdminPrincipal, slug: string): void {
  if (principal.kind === 'tenant' && principal.tenant !== slug) throw new NotFoundError(`unknown tenant "${slug}"`);
}
