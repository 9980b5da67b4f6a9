import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import type { NewUser } from '../../../core/storage.js';
import type { User, UserWithPassword } from '../../../core/types.js';
import { normalizeUsername } from '../../../core/username.js';
import { byCodePoint, isForeignKeyViolation, isUniqueViolation } from '../errors.js';
import type { Database } from '../schema.js';

// The password hash is selected by findUserByUsername only (the one read that checks a
// password); every other read leaves it in the database.
const USER_COLUMNS = ['users.id', 'users.username', 'users.username_normalized', 'users.disabled', 'users.revocation_epoch', 'users.created_at', 'users.updated_at'] as const;

/** One row per (user, membership): users left-joined to their tenants. */
function selectUsersWithTenants(db: Kysely<Database>) {
  return db
    .selectFrom('users')
    .leftJoin('user_tenants', 'user_tenants.user_id', 'users.id')
    .leftJoin('tenants', 'tenants.id', 'user_tenants.tenant_id')
    .select(USER_COLUMNS)
    .select(['tenants.id as tenant_id', 'tenants.slug as tenant_slug']);
}

type UserRow = Awaited<ReturnType<ReturnType<typeof selectUsersWithTenants>['executeTakeFirstOrThrow']>>;

/** Folds membership rows into users (in first-seen order), each with its tenants sorted by slug. */
function toUsers<R extends UserRow>(rows: R[], extra: (row: R) => object = () => ({})): (User & { normalized: string })[] {
  const byId = new Map<string, User & { normalized: string }>();
  for (const row of rows) {
    let user = byId.get(row.id);
    if (!user) {
      user = {
        id: row.id,
        username: row.username,
        disabled: Boolean(row.disabled),
        tenants: [],
        revocationEpoch: Number(row.revocation_epoch),
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
        normalized: row.username_normalized,
        ...extra(row),
      };
      byId.set(row.id, user);
    }
    if (row.tenant_id !== null && row.tenant_slug !== null) user.tenants.push({ id: row.tenant_id, slug: row.tenant_slug });
  }
  for (const user of byId.values()) user.tenants.sort((a, b) => byCodePoint(a.slug, b.slug));
  return [...byId.values()];
}

function withoutNormalized<T extends { normalized: string }>({ normalized: _normalized, ...user }: T): Omit<T, 'normalized'> {
  return user;
}

/** Call inside a transaction: the user and its memberships land together. Returns the new user's id. */
export async function createUser(db: Kysely<Database>, input: NewUser, now: number): Promise<string> {
  const id = randomUUID();
  try {
    await db
      .insertInto('users')
      .values({
        id,
        username: input.username,
        username_normalized: normalizeUsername(input.username),
        password_hash: input.passwordHash,
        disabled: 0,
        revocation_epoch: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`the username "${input.username}" is taken (usernames are compared ignoring case)`);
    throw error;
  }
  const tenantIds = [...new Set(input.tenantIds)];
  if (tenantIds.length > 0) {
    try {
      await db
        .insertInto('user_tenants')
        .values(tenantIds.map((tenantId) => ({ user_id: id, tenant_id: tenantId, created_at: now })))
        .execute();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError(`no tenant with id among ${tenantIds.join(', ')}`);
      throw error;
    }
  }
  return id;
}

export async function findUser(db: Kysely<Database>, userId: string): Promise<User | undefined> {
  const [user] = toUsers(await selectUsersWithTenants(db).where('users.id', '=', userId).execute());
  return user && withoutNormalized(user);
}

export async function findUserByUsername(db: Kysely<Database>, username: string): Promise<UserWithPassword | undefined> {
  // One round trip whether or not the user exists (the login's timing should not tell).
  const rows = await selectUsersWithTenants(db)
    .select('users.password_hash')
    .where('users.username_normalized', '=', normalizeUsername(username))
    .execute();
  const [user] = toUsers(rows, (row) => ({ passwordHash: row.password_hash }));
  return user && (withoutNormalized(user) as UserWithPassword);
}

/** Idempotent; true when the membership was added. */
export async function addUserToTenant(db: Kysely<Database>, userId: string, tenantId: string, now: number): Promise<boolean> {
  try {
    const result = await db
      .insertInto('user_tenants')
      .values({ user_id: userId, tenant_id: tenantId, created_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'tenant_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError(`no user with id "${userId}" or no tenant with id "${tenantId}"`);
    throw error;
  }
}

/** The tenant's users only (tenant scoping lives here), each with all of its memberships. */
export async function listUsers(db: Kysely<Database>, tenantId: string): Promise<User[]> {
  const rows = await db
    .selectFrom('user_tenants as member')
    .innerJoin('users', 'users.id', 'member.user_id')
    .leftJoin('user_tenants', 'user_tenants.user_id', 'users.id')
    .leftJoin('tenants', 'tenants.id', 'user_tenants.tenant_id')
    .select(USER_COLUMNS)
    .select(['tenants.id as tenant_id', 'tenants.slug as tenant_slug'])
    .where('member.tenant_id', '=', tenantId)
    .execute();
  // Sorted here, in code-point order: the same whatever the database's collation.
  return toUsers(rows)
    .sort((a, b) => byCodePoint(a.normalized, b.normalized))
    .map(withoutNormalized);
}

export async function setPassword(db: Kysely<Database>, userId: string, passwordHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setDisabled(db: Kysely<Database>, userId: string, disabled: boolean, now: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set((eb) => ({
      disabled: disabled ? 1 : 0,
      revocation_epoch: disabled ? eb('revocation_epoch', '+', 1) : eb.ref('revocation_epoch'),
      updated_at: now,
    }))
    .where('id', '=', userId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Call inside a transaction: locks the user's row (a no-op update), then removes the membership unless it is the last. */
export async function removeUserFromTenant(db: Kysely<Database>, userId: string, tenantId: string): Promise<'removed' | 'not_member' | 'last_tenant'> {
  await db.updateTable('users').set({ id: userId }).where('id', '=', userId).execute();
  const memberships = await db.selectFrom('user_tenants').select('tenant_id').where('user_id', '=', userId).execute();
  if (!memberships.some((row) => row.tenant_id === tenantId)) return 'not_member';
  if (memberships.length === 1) return 'last_tenant';
  await db.deleteFrom('user_tenants').where('user_id', '=', userId).where('tenant_id', '=', tenantId).execute();
  return 'removed';
}

/** Call inside a transaction: the user's consents, memberships and row go together. */
export async function deleteUser(db: Kysely<Database>, userId: string): Promise<boolean> {
  await db.deleteFrom('consents').where('user_id', '=', userId).execute();
  await db.deleteFrom('user_tenants').where('user_id', '=', userId).execute();
  const result = await db.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
