import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import { DEFAULT_REFRESH_SETTINGS, type ClientSettings, type NewClient, type SecretChange } from '../../../core/storage.js';
import { ADMIN_SCOPE } from '../../../core/scope.js';
import type { Client, GrantType } from '../../../core/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { Database } from '../schema.js';
import { bumpRevocationRevision } from './revisions.js';
import { ensureScopes } from './scopes.js';

/**
 * Bumps the `clients` revision (the PostgreSQL client cache reads it: store/sql/client-cache.ts).
 * Call first thing in every transaction that changes what findClient answers, before the
 * revocation revision and any row: the counter row stays locked until commit, and one
 * lock order (this counter, the revocations counter, rows) keeps such transactions from
 * deadlocking one another. (On PostgreSQL triggers bump it too, for writers outside the
 * store: migration 2026-12-08T04-00-client-revision.)
 */
export async function bumpClientsRevision(db: Kysely<Database>): Promise<void> {
  await db
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'clients')
    .execute();
}

/** The statement reading the `clients` revision, for a driver's own query path (no query builder on the hot path). */
export const CLIENTS_REVISION_SQL = "select value from counters where name = 'clients'";

const list = (value: string): string[] => (value === '' ? [] : value.split(' '));

function selectClients(db: Kysely<Database>) {
  return db
    .selectFrom('clients')
    // A left join: an operator client (tenant_id null) has no tenant.
    .leftJoin('tenants', 'tenants.id', 'clients.tenant_id')
    .where('clients.deleted_at', 'is', null)
    .selectAll('clients')
    .select(['tenants.slug as tenant_slug', 'tenants.access_token_ttl as tenant_access_token_ttl', 'tenants.disabled as tenant_disabled']);
}

type ClientRow = Awaited<ReturnType<ReturnType<typeof selectClients>['executeTakeFirstOrThrow']>>;

function toClient(row: ClientRow): Client {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenantSlug: row.tenant_slug,
    name: row.name,
    isPublic: Boolean(row.is_public),
    secretDigest: row.secret_digest,
    previousSecretDigest: row.previous_secret_digest,
    previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at),
    grantTypes: list(row.grant_types) as GrantType[],
    scopes: list(row.scopes),
    defaultScopes: list(row.default_scopes),
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    accessTokenTtl: row.access_token_ttl,
    tenantAccessTokenTtl: row.tenant_access_token_ttl ?? null,
    disabled: Boolean(row.disabled),
    tenantDisabled: Boolean(row.tenant_disabled),
    revocationEpoch: Number(row.revocation_epoch),
    resourceServer: Boolean(row.resource_server),
    refreshIdleTtl: Number(row.refresh_idle_ttl),
    refreshAbsoluteTtl: Number(row.refresh_absolute_ttl),
    refreshGraceSeconds: Number(row.refresh_grace),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Call inside a transaction: the client row and its scope names land together. */
export async function createClient(db: Kysely<Database>, input: NewClient, now: number): Promise<void> {
  try {
    await db
      .insertInto('clients')
      .values({
        id: input.id,
        tenant_id: input.tenantId,
        name: input.name,
        is_public: input.isPublic ? 1 : 0,
        secret_digest: input.secretDigest,
        previous_secret_digest: null,
        previous_secret_expires_at: null,
        grant_types: input.grantTypes.join(' '),
        scopes: input.scopes.join(' '),
        default_scopes: input.defaultScopes.join(' '),
        redirect_uris: JSON.stringify(input.redirectUris),
        access_token_ttl: input.accessTokenTtl,
        disabled: 0,
        revocation_epoch: 0,
        resource_server: input.resourceServer ? 1 : 0,
        epoch_revision: 0,
        refresh_idle_ttl: input.refreshIdleTtl ?? DEFAULT_REFRESH_SETTINGS.refreshIdleTtl,
        refresh_absolute_ttl: input.refreshAbsoluteTtl ?? DEFAULT_REFRESH_SETTINGS.refreshAbsoluteTtl,
        refresh_grace: input.refreshGraceSeconds ?? DEFAULT_REFRESH_SETTINGS.refreshGraceSeconds,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`a client with id "${input.id}" already exists`);
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no tenant with id "${input.tenantId}"`);
    throw error;
  }
  if (input.tenantId !== null) await ensureScopes(db, input.tenantId, catalogueScopes(input.scopes), now);
}

/** The scope names a tenant's catalogue lists: gatehouse:admin is the server's own, never a tenant's (nor on a consent page). */
const catalogueScopes = (scopes: readonly string[]) => scopes.filter((scope) => scope !== ADMIN_SCOPE);

export async function findClient(db: Kysely<Database>, clientId: string): Promise<Client | undefined> {
  const row = await selectClients(db).where('clients.id', '=', clientId).executeTakeFirst();
  return row && toClient(row);
}

export async function listClients(db: Kysely<Database>, tenantId: string): Promise<Client[]> {
  const rows = await selectClients(db).where('clients.tenant_id', '=', tenantId).orderBy('clients.created_at').orderBy('clients.id').execute();
  return rows.map(toClient);
}

export async function listOperatorClients(db: Kysely<Database>): Promise<Client[]> {
  const rows = await selectClients(db).where('clients.tenant_id', 'is', null).orderBy('clients.created_at').orderBy('clients.id').execute();
  return rows.map(toClient);
}

/**
 * Compare-and-set on the current secret digest, in one statement: of two rotations
 * racing, the second finds the digest changed and fails instead of resurrecting the
 * secret the first one replaced. The epoch is raised inside the UPDATE too. Call inside
 * a transaction when `revokeTokens` (the revision bump and the write land together).
 */
export async function updateClientSecret(db: Kysely<Database>, clientId: string, change: SecretChange, now: number): Promise<'updated' | 'changed' | 'missing'> {
  const revision = change.revokeTokens ? await bumpRevocationRevision(db) : undefined;
  const result = await db
    .updateTable('clients')
    .set((eb) => ({
      secret_digest: change.secretDigest,
      previous_secret_digest: change.previousSecretDigest,
      previous_secret_expires_at: change.previousSecretExpiresAt,
      revocation_epoch: change.revokeTokens ? eb('revocation_epoch', '+', 1) : eb.ref('revocation_epoch'),
      epoch_revision: revision ?? eb.ref('epoch_revision'),
      updated_at: now,
    }))
    .where('id', '=', clientId)
    .where('deleted_at', 'is', null)
    .where('secret_digest', '=', change.expectedSecretDigest)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return 'updated';
  const exists = await db.selectFrom('clients').select('id').where('id', '=', clientId).where('deleted_at', 'is', null).executeTakeFirst();
  return exists ? 'changed' : 'missing';
}

/** Call inside a transaction when disabling (the revision bump and the write land together). */
export async function setClientDisabled(db: Kysely<Database>, clientId: string, disabled: boolean, now: number): Promise<boolean> {
  const revision = disabled ? await bumpRevocationRevision(db) : undefined;
  const result = await db
    .updateTable('clients')
    .set((eb) => ({
      disabled: disabled ? 1 : 0,
      revocation_epoch: disabled ? eb('revocation_epoch', '+', 1) : eb.ref('revocation_epoch'),
      epoch_revision: revision ?? eb.ref('epoch_revision'),
      updated_at: now,
    }))
    .where('id', '=', clientId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Call inside a transaction: the settings and the new scope names land together. */
export async function updateClient(db: Kysely<Database>, clientId: string, settings: ClientSettings, now: number): Promise<boolean> {
  const row = await db.selectFrom('clients').select('tenant_id').where('id', '=', clientId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) return false;
  await db
    .updateTable('clients')
    .set({
      name: settings.name,
      grant_types: settings.grantTypes.join(' '),
      scopes: settings.scopes.join(' '),
      default_scopes: settings.defaultScopes.join(' '),
      redirect_uris: JSON.stringify(settings.redirectUris),
      access_token_ttl: settings.accessTokenTtl,
      refresh_idle_ttl: settings.refreshIdleTtl,
      refresh_absolute_ttl: settings.refreshAbsoluteTtl,
      refresh_grace: settings.refreshGraceSeconds,
      updated_at: now,
    })
    .where('id', '=', clientId)
    .execute();
  if (row.tenant_id !== null) await ensureScopes(db, row.tenant_id, catalogueScopes(settings.scopes), now);
  return true;
}

/** Call inside a transaction (the revision bump and the deletion land together). */
export async function deleteClient(db: Kysely<Database>, clientId: string, now: number): Promise<boolean> {
  const exists = await db.selectFrom('clients').select('id').where('id', '=', clientId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!exists) return false;
  const revision = await bumpRevocationRevision(db);
  await db
    .updateTable('clients')
    .set((eb) => ({ deleted_at: now, revocation_epoch: eb('revocation_epoch', '+', 1), epoch_revision: revision, updated_at: now }))
    .where('id', '=', clientId)
    .execute();
  return true;
}

export async function longestAccessTokenTtl(db: Kysely<Database>): Promise<number | null> {
  const [clients, tenants] = await Promise.all([
    db.selectFrom('clients').select((eb) => eb.fn.max('access_token_ttl').as('ttl')).executeTakeFirst(),
    db.selectFrom('tenants').select((eb) => eb.fn.max('access_token_ttl').as('ttl')).executeTakeFirst(),
  ]);
  const values = [clients?.ttl, tenants?.ttl].filter((value) => value !== null && value !== undefined).map(Number);
  return values.length === 0 ? null : Math.max(...values);
}
