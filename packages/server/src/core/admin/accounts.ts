import { NotFoundError } from '../errors.js';
import { checkPasswordPolicy, hashPassword } from '../password.js';
import type { AdminAccount, AdminAccountStore, TenantStore } from '../storage.js';
import { checkUsername } from '../username.js';

export type { AdminAccount } from '../storage.js';
import { audited, type AdminAudit } from './audited.js';
import { requireTenant } from './lookups.js';
import { CLI_PRINCIPAL, requireOperator, requireTenantAccess, type AdminPrincipal } from './principal.js';

/**
 * Ends an account's admin sessions (the session service, issue 14), so that deleting or
 * disabling an account, or replacing its password or second factor, takes effect on
 * every process at once. Returns how many were ended.
 */
export interface AdminSessionEnder {
  endAdminSessions(accountId: string): Promise<number>;
}

export interface AdminAccountServiceDeps {
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  accounts: Pick<AdminAccountStore, 'createAdminAccount' | 'findAdminAccountByUsername' | 'listAdminAccounts' | 'deleteAdminAccount' | 'setAdminPassword' | 'setAdminDisabled' | 'disableAdminMfa' | 'hasOperator'>;
  /** Absent: no session store (nothing to end). */
  sessions?: AdminSessionEnder;
  audit: AdminAudit;
}

export interface CreateAdminAccountInput {
  /** The tenant a tenant admin manages; absent or null: an operator. */
  tenant?: string | null;
  username: string;
  password: string;
}

/** The dashboard's principal for a signed-in account (core/admin/principal.ts). */
export function principalOf(account: Pick<AdminAccount, 'username' | 'tenantSlug' | 'tenantId'>): AdminPrincipal {
  if (account.tenantId === null) return { kind: 'operator', actor: account.username };
  return { kind: 'tenant', tenant: account.tenantSlug ?? '', actor: account.username };
}

const roleOf = (account: Pick<AdminAccount, 'tenantId'>) => (account.tenantId === null ? 'operator' : 'tenant_admin') as 'operator' | 'tenant_admin';

/**
 * Operator and tenant-admin accounts: the people who sign in to the dashboard. Passwords
 * are scrypt-hashed (core/password.ts), never returned, logged or audited. Each method
 * takes the principal acting (the CLI by default): an operator manages every account; a
 * tenant admin only its own tenant's admins, and learns nothing of the others (404).
 */
export class AdminAccountService {
  constructor(private readonly deps: AdminAccountServiceDeps) {}

  /**
   * Creates an operator (no tenant) or a tenant admin (the tenant must exist). The
   * password must pass the policy. ConflictError when the username is taken by another
   * admin account in any letter case. Only operators create operators. Recorded as `admin.create`.
   */
  create(input: CreateAdminAccountInput, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    const tenant = input.tenant ?? null;
    return audited(
      this.deps.audit,
      'admin.create',
      { tenant, target: input.username },
      async () => {
        if (tenant === null) requireOperator(as, 'creating an operator account');
        else requireTenantAccess(as, tenant);
        checkUsername(input.username);
        checkPasswordPolicy(input.password);
        const tenantId = tenant === null ? null : (await requireTenant(this.deps.tenants, tenant)).id;
        return this.deps.accounts.createAdminAccount({ username: input.username, passwordHash: await hashPassword(input.password), tenantId });
      },
      (account) => ({ target: account.username, details: { role: roleOf(account) } }),
    );
  }

  /** Every account (operators first-class), or one tenant's admins only; a tenant principal sees its own tenant's. */
  async list(filter: { tenant?: string } = {}, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount[]> {
    const tenant = as.kind === 'tenant' ? (filter.tenant ?? as.tenant) : filter.tenant;
    if (tenant === undefined) return this.deps.accounts.listAdminAccounts({ kind: 'all' });
    requireTenantAccess(as, tenant);
    const found = await requireTenant(this.deps.tenants, tenant);
    return this.deps.accounts.listAdminAccounts({ kind: 'tenant', tenantId: found.id });
  }

  /** Whether an operator account exists (serve says how to create the first one). */
  hasOperator(): Promise<boolean> {
    return this.deps.accounts.hasOperator();
  }

  /** Deletes the account and ends its sessions. Recorded as `admin.delete`. */
  delete(username: string, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    return this.change('admin.delete', username, as, async (account) => {
      await this.deps.accounts.deleteAdminAccount(account.id);
      return account;
    });
  }

  /** Replaces the password (same policy as create) and ends the account's sessions. Recorded as `admin.reset_password` (never the password). */
  resetPassword(username: string, password: string, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    return this.change('admin.reset_password', username, as, async (account) => {
      checkPasswordPolicy(password);
      return this.updated(await this.deps.accounts.setAdminPassword(account.id, await hashPassword(password)), username);
    });
  }

  /**
   * Removes the TOTP second factor and the recovery codes (the recovery path when an
   * authenticator is lost), and ends the account's sessions. Recorded as `admin.disable_mfa`.
   */
  disableMfa(username: string, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    return this.change('admin.disable_mfa', username, as, async (account) => this.updated(await this.deps.accounts.disableAdminMfa(account.id), username));
  }

  /** Disables the account (it can no longer sign in) and ends its sessions. Recorded as `admin.disable`. */
  disable(username: string, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    return this.change('admin.disable', username, as, async (account) => this.updated(await this.deps.accounts.setAdminDisabled(account.id, true), username));
  }

  /** Re-enables a disabled account. Recorded as `admin.enable`. */
  enable(username: string, as: AdminPrincipal = CLI_PRINCIPAL): Promise<AdminAccount> {
    return this.change('admin.enable', username, as, async (account) => this.updated(await this.deps.accounts.setAdminDisabled(account.id, false), username), false);
  }

  /** Looks the account up (within the principal's reach), runs `apply`, ends the account's sessions, records the action. */
  private change(
    action: 'admin.delete' | 'admin.reset_password' | 'admin.disable_mfa' | 'admin.disable' | 'admin.enable',
    username: string,
    as: AdminPrincipal,
    apply: (account: AdminAccount) => Promise<AdminAccount>,
    endSessions = true,
  ): Promise<AdminAccount> {
    let endedSessions = 0;
    return audited(
      this.deps.audit,
      action,
      { tenant: as.kind === 'tenant' ? as.tenant : null, target: username },
      async () => {
        const account = await this.requireAccount(username, as);
        const result = await apply(account);
        if (endSessions && this.deps.sessions) endedSessions = await this.deps.sessions.endAdminSessions(account.id);
        return result;
      },
      (account) => ({ tenant: account.tenantSlug, target: account.username, details: { role: roleOf(account), endedSessions } }),
    );
  }

  private async requireAccount(username: string, as: AdminPrincipal): Promise<AdminAccount> {
    checkUsername(username);
    const found = await this.deps.accounts.findAdminAccountByUsername(username);
    // A tenant admin cannot reach an operator or another tenant's admin: the same answer as for nobody.
    if (!found || (as.kind === 'tenant' && found.tenantSlug !== as.tenant)) throw notFound(username);
    const { passwordHash: _hash, totpSecretSealed: _secret, totpLastStep: _step, ...account } = found;
    return account;
  }

  private updated(account: AdminAccount | undefined, username: string): AdminAccount {
    if (!account) throw notFound(username);
    return account;
  }
}

function notFound(username: string): NotFoundError {
  return new NotFoundError(`no admin account "${username}" (list them with: gatehouse admin list)`);
}
