import type { Kysely } from 'kysely';

// Frozen in time. Issue 14, branding: a tenant's accent colour (#rrggbb), links to its
// terms and privacy policy, and its logo (base64 text, so both dialects store it alike;
// its media type; a digest for ETags and cache-busting URLs). Null: not set.

const COLUMNS = ['accent', 'terms_url', 'privacy_url', 'logo_data', 'logo_type', 'logo_digest'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable('tenants').addColumn(column, 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of [...COLUMNS].reverse()) await db.schema.alterTable('tenants').dropColumn(column).execute();
}
