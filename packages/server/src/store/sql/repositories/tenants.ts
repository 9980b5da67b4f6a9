import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '../../../core/errors.js';
import type { NewTenant, TenantBrandingChange } from '../../../core/storage.js';
import { entityTag, type Logo, type LogoType } from '../../../core/branding.js';
import type { Tenant } from '../../../core/types.js';
import { byCodePoint, isUniqueViolation } from '../errors.js';
import type { Database, TenantsTable } from '../schema.js';
import { bumpRevocationRevision } from './revisions.js';

/** Every column but the logo's bytes (read only by findTenantLogo). */
const TENANT_COLUMNS = ['id', 'slug', 'name', 'access_token_ttl', 'created_at', 'disabled', 'accent', 'terms_url', 'privacy_url', 'logo_type', 'logo_digest'] as const;

type TenantRow = Pick<Selectable<TenantsTable>, (typeof TENANT_COLUMNS)[number]>;

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    accessTokenTtl: row.access_token_ttl,
    disabled: Boolean(row.disabled),
    branding: {
      accent: row.accent,
      termsUrl: row.terms_url,
      privacyUrl: row.privacy_url,
      logo: row.logo_type && row.logo_digest ? { contentType: row.logo_type as LogoType, digest: row.logo_digest } : null,
    },
    createdAt: Number(row.created_at),
  };
}

export async function createTenant(db: Kysely<Database>, input: NewTenant, now: number): Promise<Tenant> {
  const row = {
    id: randomUUID(),
    slug: input.slug,
    name: input.name,
    access_token_ttl: input.accessTokenTtl,
    created_at: now,
    disabled: 0,
    ...{ accent: null, terms_url: null, privacy_url: null, logo_type: null, logo_digest: null },
  };
  try {
    await db.insertInto('tenants').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a tenant with slug "${input.slug}" already exists`);
    throw error;
  }
  return toTenant(row);
}

export async function findTenantBySlug(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').select(TENANT_COLUMNS).where('slug', '=', slug).executeTakeFirst();
  return row && toTenant(row);
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').select(TENANT_COLUMNS).execute();
  return rows.map(toTenant).sort((a, b) => byCodePoint(a.slug, b.slug));
}

export async function updateTenant(db: Kysely<Database>, slug: string, change: { name: string; accessTokenTtl: number | null }): Promise<boolean> {
  const result = await db.updateTable('tenants').set({ name: change.name, access_token_ttl: change.accessTokenTtl }).where('slug', '=', slug).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Call inside a transaction when disabling (the revision bump and the epochs land together). */
export async function setTenantDisabled(db: Kysely<Database>, slug: string, disabled: boolean, now: number): Promise<boolean> {
  const tenant = await db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
  if (!tenant) return false;
  await db.updateTable('tenants').set({ disabled: disabled ? 1 : 0 }).where('id', '=', tenant.id).execute();
  if (disabled) {
    const revision = await bumpRevocationRevision(db);
    await db
      .updateTable('clients')
      .set((eb) => ({ revocation_epoch: eb('revocation_epoch', '+', 1), epoch_revision: revision, updated_at: now }))
      .where('tenant_id', '=', tenant.id)
      .execute();
  }
  return true;
}

/** Sets the fields `change` names (see TenantStore.setTenantBranding). */
export async function setTenantBranding(db: Kysely<Database>, slug: string, change: TenantBrandingChange): Promise<boolean> {
  const values: Partial<Record<'accent' | 'terms_url' | 'privacy_url' | 'logo_data' | 'logo_type' | 'logo_digest', string | null>> = {};
  if (change.accent !== undefined) values.accent = change.accent;
  if (change.termsUrl !== undefined) values.terms_url = change.termsUrl;
  if (change.privacyUrl !== undefined) values.privacy_url = change.privacyUrl;
  if (change.logo !== undefined) {
    values.logo_data = change.logo ? change.logo.data.toString('base64') : null;
    values.logo_type = change.logo ? change.logo.contentType : null;
    values.logo_digest = change.logo ? entityTag(change.logo.data).slice(1, -1) : null;
  }
  if (Object.keys(values).length === 0) return (await db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined;
  const result = await db.updateTable('tenants').set(values).where('slug', '=', slug).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findTenantLogo(db: Kysely<Database>, slug: string): Promise<(Logo & { digest: string }) | undefined> {
  const row = await db.selectFrom('tenants').select(['logo_data', 'logo_type', 'logo_digest']).where('slug', '=', slug).executeTakeFirst();
  if (!row?.logo_data || !row.logo_type || !row.logo_digest) return undefined;
  return { contentType: row.logo_type as LogoType, data: Buffer.from(row.logo_data, 'base64'), digest: row.logo_digest };
}
