import type { Config } from '../config.js';
import { formatDuration } from '../duration.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ClientStore, TenantStore, UserStore } from '../storage.js';
import type { Client, Tenant, User } from '../types.js';
import { checkUsername } from '../username.js';

/**
 * The lookups and checks several admin services share. Each throws the error an operator
 * reads (the CLI prints its message, the admin API its problem detail).
 */

/** A tenant slug: 1-63 lowercase letters, digits and inner hyphens (it appears in URLs). */
export const TENANT_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export async function requireTenant(tenants: Pick<TenantStore, 'findTenantBySlug'>, slug: string): Promise<Tenant> {
  const tenant = await tenants.findTenantBySlug(slug);
  if (!tenant) throw new NotFoundError(`unknown tenant "${slug}" (create it with: gatehouse tenant create ${TENANT_SLUG.test(slug) ? slug : '<slug>'})`);
  return tenant;
}

export async function requireClient(clients: Pick<ClientStore, 'findClient'>, clientId: string): Promise<Client> {
  const client = await clients.findClient(clientId);
  if (!client) throw new NotFoundError(`no client with id "${clientId}"`);
  return client;
}

/** The user (any letter case of its username), without its password hash. */
export async function requireUser(users: Pick<UserStore, 'findUserByUsername'>, username: string): Promise<User> {
  checkUsername(username);
  const found = await users.findUserByUsername(username);
  if (!found) throw new NotFoundError(`no user "${username}" (create it with: gatehouse user create --tenant <slug> --username ${username} --password-stdin)`);
  const { passwordHash: _hash, ...user } = found;
  return user;
}

/** An access token lifetime an operator sets (tenant or client) stays within the deployment's maximum. */
export function checkAccessTokenTtl(ttl: number | null | undefined, config: Pick<Config, 'maxAccessTokenTtl'>): void {
  const max = config.maxAccessTokenTtl;
  if (ttl != null && ttl > max) {
    throw new ValidationError(`access token lifetime ${formatDuration(ttl)} exceeds the maximum of ${formatDuration(max)} (GATEHOUSE_MAX_ACCESS_TOKEN_TTL)`, { field: 'access_token_ttl' });
  }
}
