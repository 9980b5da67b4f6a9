/** Users: the people who log in (issue 4: user-delegated access). See ./index.ts for the rules every store follows. */
import type { User, UserWithPassword } from '../types.js';

export interface NewUser {
  /** Valid per src/core/username.ts; stored as given, looked up case-insensitively. */
  username: string;
  /** From hashPassword (src/core/password.ts). */
  passwordHash: string;
  /** The tenants the user belongs to from the start (at least one, in practice). */
  tenantIds: string[];
}

/**
 * The people who log in (not the clients). Usernames are globally unique and compared
 * case-insensitively: the store keeps a normalised copy (normalizeUsername) under a
 * unique index, so "Alice" and "alice" are one user whatever happens concurrently.
 */
export interface UserStore {
  /**
   * Creates an enabled user (revocation epoch 0) belonging to `tenantIds`, in one
   * transaction. ConflictError when the username is taken, in any letter case (of two
   * concurrent creations of one name exactly one succeeds); NotFoundError when a tenant
   * does not exist. Writes nothing when it throws.
   */
  createUser(input: NewUser): Promise<User>;
  /** The user with this id, or undefined. */
  findUser(userId: string): Promise<User | undefined>;
  /**
   * The user whose username equals `username` ignoring case, with its password hash
   * (for checking a password only), or undefined.
   */
  findUserByUsername(username: string): Promise<UserWithPassword | undefined>;
  /**
   * Makes the user a member of the tenant. Idempotent: true when the membership was
   * added, false when it existed already (nothing changes). NotFoundError when the user
   * or the tenant does not exist.
   */
  addUserToTenant(userId: string, tenantId: string): Promise<boolean>;
  /**
   * The users who belong to `tenantId` (and only those), sorted by normalised username.
   * Each user's `tenants` lists all of its memberships (an operator's view).
   */
  listUsers(tenantId: string): Promise<User[]>;
  /**
   * Ends the user's membership of the tenant, in one transaction that locks the user's
   * row first, so that of two concurrent removals the user keeps at least one tenant:
   * `removed`; `not_member` when the user (or the tenant) does not exist or the user does
   * not belong to it; `last_tenant` when it is the user's only tenant (nothing changes).
   */
  removeUserFromTenant(userId: string, tenantId: string): Promise<'removed' | 'not_member' | 'last_tenant'>;
  /**
   * Replaces the password hash; with `endSessions`, every sign-in session of the user ends
   * in the same transaction (an operator's reset: whoever knew the old password is signed
   * out, or nothing changes). Undefined when the user does not exist.
   */
  setPassword(userId: string, passwordHash: string, options?: { endSessions?: boolean }): Promise<User | undefined>;
  /**
   * Enables or disables a user. Disabling also raises the user's revocation epoch by
   * one (as for clients), revokes every live grant of the user under one revocation
   * revision (its refresh tokens for good: enabling brings none back) and ends its
   * sign-in sessions, in one transaction. Enabling leaves the epoch alone. Undefined when
   * the user does not exist.
   */
  setDisabled(userId: string, disabled: boolean): Promise<User | undefined>;
  /**
   * Deletes the user for good, in one transaction: its row, its memberships and its
   * remembered consents (the username becomes free again; a new user of that name is
   * another user, with another id). Grants, codes and refresh tokens keep the old user
   * id and are left alone: they stop working because the grant's user no longer exists
   * (revoke them first so that resource servers hear of it: UserService.delete). False
   * when there is no such user.
   */
  deleteUser(userId: string): Promise<boolean>;
}
