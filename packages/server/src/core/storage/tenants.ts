/** Tenants: the organisations (workspaces) every client, user and scope belongs to. See ./index.ts for the rules every store follows. */
import type { Tenant } from '../types.js';

export interface NewTenant {
  slug: string;
  name: string;
  accessTokenTtl: number | null;
}

export interface TenantStore {
  /** Fails with ConflictError when the slug is taken. */
  createTenant(input: NewTenant): Promise<Tenant>;
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
}
