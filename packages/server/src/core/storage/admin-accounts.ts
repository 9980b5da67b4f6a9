/**
 * Admin accounts (issue 14): the people who sign in to the dashboard, apart from the end
 * users who log in to grant applications access. See ./index.ts for the rules every
 * store follows.
 */

/** An operator (no tenant: manages every tenant) or a tenant admin (manages its tenant only). */
export interface AdminAccount {
  id: string;
  /** As created (display form); unique ignoring case. */
  username: string;
  /** Null: an operator. */
  tenantId: string | null;
  /** The tenant's slug (null for an operator). */
  tenantSlug: string | null;
  disabled: boolean;
  /** Whether a TOTP second factor is enrolled. */
  mfaEnabled: boolean;
  /** Unused recovery codes left. */
  recoveryCodesLeft: number;
  createdAt: number;
  lastSignInAt: number | null;
}

/** What checking a sign-in needs besides the account: never leaves core. */
export interface AdminAccountCredentials extends AdminAccount {
  /** From hashPassword (src/core/password.ts). */
  passwordHash: string;
  /** The TOTP secret sealed with the key derived for it (core/admin/mfa.ts); null without MFA. */
  totpSecretSealed: string | null;
  /** The last TOTP time step accepted (RFC 6238 §5.2: a code is accepted once); null: none yet. */
  totpLastStep: number | null;
}

export interface NewAdminAccount {
  /** Valid per src/core/username.ts; stored as given, looked up case-insensitively. */
  username: string;
  passwordHash: string;
  /** Null: an operator. */
  tenantId: string | null;
}

/** Who to list: every account, the operators only, or one tenant's admins only. */
export type AdminAccountFilter = { kind: 'all' } | { kind: 'operators' } | { kind: 'tenant'; tenantId: string };

export interface AdminAccountStore {
  /**
   * Creates an enabled account without MFA. ConflictError when the username is taken by
   * another admin account in any letter case (of two concurrent creations of one name
   * exactly one succeeds); NotFoundError when `tenantId` names no tenant. Admin accounts
   * and end users are separate: an admin may share a username with an end user.
   */
  createAdminAccount(input: NewAdminAccount): Promise<AdminAccount>;
  /** The account with this id, or undefined. */
  findAdminAccount(id: string): Promise<AdminAccount | undefined>;
  /** The account whose username equals `username` ignoring case, with its credentials, or undefined. */
  findAdminAccountByUsername(username: string): Promise<AdminAccountCredentials | undefined>;
  /**
   * The accounts the filter selects, and only those: a tenant's admins never include
   * another tenant's, nor operators. Sorted by normalised username.
   */
  listAdminAccounts(filter: AdminAccountFilter): Promise<AdminAccount[]>;
  /** Whether at least one operator account (enabled or not) exists. */
  hasOperator(): Promise<boolean>;
  /** Deletes the account and its recovery codes; false when there was none. */
  deleteAdminAccount(id: string): Promise<boolean>;
  /** Replaces the password hash; undefined when the account does not exist. */
  setAdminPassword(id: string, passwordHash: string): Promise<AdminAccount | undefined>;
  /** Enables or disables the account; undefined when it does not exist. */
  setAdminDisabled(id: string, disabled: boolean): Promise<AdminAccount | undefined>;
  /**
   * Enrols TOTP, in one transaction: stores the sealed secret, records `usedStep` (the
   * step of the code that confirmed the enrolment) as the last step used, and replaces
   * any recovery codes by these digests. Undefined when the account does not exist.
   */
  enableAdminMfa(id: string, totpSecretSealed: string, usedStep: number, recoveryCodeDigests: readonly string[]): Promise<AdminAccount | undefined>;
  /** Removes the TOTP secret, its last step and every recovery code; undefined when the account does not exist. */
  disableAdminMfa(id: string): Promise<AdminAccount | undefined>;
  /**
   * Records `step` as the last TOTP step used, only if it is later than the one recorded
   * (compare-and-set: of two concurrent sign-ins with one code exactly one gets true).
   * False when the step was used already (or an earlier one was accepted after it), or
   * the account has no MFA or does not exist.
   */
  useTotpStep(id: string, step: number): Promise<boolean>;
  /**
   * Consumes one recovery code by digest: true exactly once per stored code (of two
   * concurrent uses one gets true); false for an unknown or used code.
   */
  useRecoveryCode(id: string, digest: string): Promise<boolean>;
  /** Sets last_sign_in_at. */
  recordAdminSignIn(id: string, at: number): Promise<void>;
}
