import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import type { AdminAccount, AdminAccountCredentials, AdminAccountFilter, NewAdminAccount } from '../../../core/storage.js';
import { normalizeUsername } from '../../../core/username.js';
import { byCodePoint, isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { Database } from '../schema.js';

/** Accounts with their tenant's slug and the count of unused recovery codes; credentials only where asked. */
function selectAccounts(db: Kysely<Database>) {
  return db
    .selectFrom('admin_accounts')
    .leftJoin('tenants', 'tenants.id', 'admin_accounts.tenant_id')
    .select([
      'admin_accounts.id',
      'admin_accounts.username',
      'admin_accounts.username_normalized',
      'admin_accounts.tenant_id',
      'tenants.slug as tenant_slug',
      'admin_accounts.disabled',
      'admin_accounts.totp_secret_sealed',
      'admin_accounts.created_at',
      'admin_accounts.last_sign_in_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('admin_recovery_codes')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('admin_recovery_codes.account_id', '=', 'admin_accounts.id')
        .as('recovery_codes_left'),
    );
}

type AccountRow = Awaited<ReturnType<ReturnType<typeof selectAccounts>['executeTakeFirstOrThrow']>>;

function toAccount(row: AccountRow): AdminAccount {
  return {
    id: row.id,
    username: row.username,
    tenantId: row.tenant_id,
    tenantSlug: row.tenant_slug,
    disabled: Boolean(row.disabled),
    mfaEnabled: row.totp_secret_sealed !== null,
    recoveryCodesLeft: Number(row.recovery_codes_left ?? 0),
    createdAt: Number(row.created_at),
    lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at),
  };
}

export async function createAdminAccount(db: Kysely<Database>, input: NewAdminAccount, now: number): Promise<string> {
  const id = randomUUID();
  try {
    await db
      .insertInto('admin_accounts')
      .values({
        id,
        username: input.username,
        username_normalized: normalizeUsername(input.username),
        password_hash: input.passwordHash,
        tenant_id: input.tenantId,
        disabled: 0,
        totp_secret_sealed: null,
        totp_last_step: null,
        created_at: now,
        updated_at: now,
        last_sign_in_at: null,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`the admin username "${input.username}" is taken (usernames are compared ignoring case)`);
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no tenant with id "${input.tenantId}"`);
    throw error;
  }
  return id;
}

export async function findAdminAccount(db: Kysely<Database>, id: string): Promise<AdminAccount | undefined> {
  const row = await selectAccounts(db).where('admin_accounts.id', '=', id).executeTakeFirst();
  return row && toAccount(row);
}

export async function findAdminAccountByUsername(db: Kysely<Database>, username: string): Promise<AdminAccountCredentials | undefined> {
  const row = await selectAccounts(db)
    .select(['admin_accounts.password_hash', 'admin_accounts.totp_last_step'])
    .where('admin_accounts.username_normalized', '=', normalizeUsername(username))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...toAccount(row),
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
  };
}

/** Tenant scoping lives here: a tenant's list selects by its id, never more. */
export async function listAdminAccounts(db: Kysely<Database>, filter: AdminAccountFilter): Promise<AdminAccount[]> {
  let query = selectAccounts(db);
  if (filter.kind === 'operators') query = query.where('admin_accounts.tenant_id', 'is', null);
  if (filter.kind === 'tenant') query = query.where('admin_accounts.tenant_id', '=', filter.tenantId);
  const rows = await query.execute();
  // Sorted here, in code-point order: the same whatever the database's collation.
  return rows.sort((a, b) => byCodePoint(a.username_normalized, b.username_normalized)).map(toAccount);
}

export async function hasOperator(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('admin_accounts').select('id').where('tenant_id', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Call inside a transaction: the recovery codes go with the account. */
export async function deleteAdminAccount(db: Kysely<Database>, id: string): Promise<boolean> {
  await db.deleteFrom('admin_recovery_codes').where('account_id', '=', id).execute();
  const result = await db.deleteFrom('admin_accounts').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function setAdminPassword(db: Kysely<Database>, id: string, passwordHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('admin_accounts').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setAdminDisabled(db: Kysely<Database>, id: string, disabled: boolean, now: number): Promise<boolean> {
  const result = await db.updateTable('admin_accounts').set({ disabled: disabled ? 1 : 0, updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Call inside a transaction: the secret and the recovery codes land together. */
export async function enableAdminMfa(db: Kysely<Database>, id: string, sealed: string, usedStep: number, digests: readonly string[], now: number): Promise<boolean> {
  const result = await db.updateTable('admin_accounts').set({ totp_secret_sealed: sealed, totp_last_step: usedStep, updated_at: now }).where('id', '=', id).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await db.deleteFrom('admin_recovery_codes').where('account_id', '=', id).execute();
  const unique = [...new Set(digests)];
  if (unique.length > 0) await db.insertInto('admin_recovery_codes').values(unique.map((code_digest) => ({ account_id: id, code_digest, created_at: now }))).execute();
  return true;
}

/** Call inside a transaction. */
export async function disableAdminMfa(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('admin_accounts').set({ totp_secret_sealed: null, totp_last_step: null, updated_at: now }).where('id', '=', id).executeTakeFirst();
  await db.deleteFrom('admin_recovery_codes').where('account_id', '=', id).execute();
  return Number(result.numUpdatedRows) > 0;
}

/** One conditional update: the database decides which of two concurrent uses wins. */
export async function useTotpStep(db: Kysely<Database>, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('admin_accounts')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where('totp_secret_sealed', 'is not', null)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function useRecoveryCode(db: Kysely<Database>, id: string, digest: string): Promise<boolean> {
  const result = await db.deleteFrom('admin_recovery_codes').where('account_id', '=', id).where('code_digest', '=', digest).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function recordAdminSignIn(db: Kysely<Database>, id: string, at: number): Promise<void> {
  await db.updateTable('admin_accounts').set({ last_sign_in_at: at }).where('id', '=', id).execute();
}
