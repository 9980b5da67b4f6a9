import type { AuditRecorder } from '../audit.js';
import type { Config } from '../config.js';
import type { AdminAccount, AdminAccountStore, TenantStore, ThrottleStore } from '../storage.js';
import { checkPasswordThrottled, LoginError, throttledFor } from '../user-auth.js';
import { AdminMfa, type AdminMfaKeys, type MfaEnrolment } from './mfa.js';
import { ADMIN_LOGIN_KEYS, startSignIn, tenantDisabled, submitPassword, submitSecondFactor, type AdminPasswordForm, type AdminSecondFactorForm, type AdminSignInStep } from './sign-in.js';

/**
 * What the dashboard's routes need to sign admins in and manage their own second factor,
 * with the dependencies bound (built once by server/services.ts). The session itself is
 * the session service's (core/sessions.ts, kind `admin`).
 */
export interface AdminAuthentication {
  /** GET /admin/login (sign-in.ts). */
  start(sealedState: string | undefined, now: number): AdminSignInStep;
  submitPassword(sealedState: string | undefined, form: AdminPasswordForm, address: string, now: number): Promise<AdminSignInStep>;
  submitSecondFactor(sealedState: string | undefined, form: AdminSecondFactorForm, now: number): Promise<AdminSignInStep>;
  /** The account a session belongs to, while it exists and is enabled (and its tenant too); undefined otherwise. */
  findAccount(accountId: string): Promise<AdminAccount | undefined>;
  /** A new TOTP secret to enrol (shown, not stored yet), mfa.ts. */
  beginMfaEnrolment(account: AdminAccount, now: number): MfaEnrolment;
  /** The pending enrolment a confirmation form carries back; undefined when forged or expired. */
  openMfaEnrolment(account: AdminAccount, token: string, now: number): MfaEnrolment | undefined;
  /** Stores the second factor when `code` matches; returns the recovery codes to show once, or undefined. */
  confirmMfaEnrolment(account: AdminAccount, enrolment: MfaEnrolment, code: string, now: number): Promise<string[] | undefined>;
  /**
   * Removes the account's own second factor, given a current code (or a recovery code) or
   * its password (throttled like a sign-in): `disabled`, `invalid`, or `{ throttled }`
   * with the seconds until the lock ends (the Retry-After value).
   */
  disableMfa(account: AdminAccount, proof: { code?: string; password?: string }, address: string, now: number): Promise<'disabled' | 'invalid' | { throttled: number }>;
}

export interface AdminAuthenticationDeps {
  accounts: AdminAccountStore;
  /** A tenant admin of a disabled tenant cannot sign in, and its sessions stop working. */
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  throttle: ThrottleStore;
  config: Pick<Config, 'issuer' | 'throttleWindow' | 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress'>;
  audit: AuditRecorder;
  mfaKeys: AdminMfaKeys;
  /** adminSignInKey(masterKey) (sign-in.ts). */
  signInKey: Buffer;
}

export function createAdminAuthentication(deps: AdminAuthenticationDeps): AdminAuthentication {
  const mfa = new AdminMfa({ accounts: deps.accounts, keys: deps.mfaKeys, audit: deps.audit, issuerLabel: `Gatehouse (${new URL(deps.config.issuer).host})` });
  const signInDeps = { accounts: deps.accounts, tenants: deps.tenants, mfa, throttle: deps.throttle, config: deps.config, audit: deps.audit, stateKey: deps.signInKey };
  return {
    start: (sealed, now) => startSignIn(sealed, signInDeps, now),
    submitPassword: (sealed, form, address, now) => submitPassword(sealed, form, address, signInDeps, now),
    submitSecondFactor: (sealed, form, now) => submitSecondFactor(sealed, form, signInDeps, now),
    findAccount: async (accountId) => {
      const account = await deps.accounts.findAdminAccount(accountId);
      if (!account || account.disabled) return undefined;
      // A disabled tenant's admins are signed out: their sessions end at the next request (guard.ts).
      return (await tenantDisabled(account, signInDeps)) ? undefined : account;
    },
    beginMfaEnrolment: (account, now) => mfa.beginEnrolment(account, now),
    openMfaEnrolment: (account, token, now) => mfa.openEnrolment(account, token, now),
    confirmMfaEnrolment: (account, enrolment, code, now) => mfa.confirmEnrolment(account, enrolment, code, now),
    disableMfa: async (account, proof, address, now) => {
      const credentials = await deps.accounts.findAdminAccountByUsername(account.username);
      if (!credentials || credentials.id !== account.id) return 'invalid';
      if (proof.code) {
        // The sign-in's second-factor counter (sign-in.ts): whoever holds a session left
        // open must not get unlimited guesses at a 6-digit code to strip the second factor.
        const key = `admin-mfa:${account.id}`;
        const wait = await throttledFor(deps.throttle, key, deps.config.loginMaxFailuresPerUser, now);
        if (wait !== undefined) return { throttled: wait };
        const outcome = await mfa.check(credentials, proof.code, now);
        if (outcome !== 'totp' && outcome !== 'recovery_code') {
          await deps.throttle.hit(key, deps.config.throttleWindow * 1000, now);
          return 'invalid';
        }
      } else if (proof.password) {
        try {
          await checkPasswordThrottled({ username: account.username, password: proof.password, ip: address }, { ...deps, find: async () => credentials, keys: ADMIN_LOGIN_KEYS }, now);
        } catch (error) {
          if (!(error instanceof LoginError)) throw error;
          return error.code === 'throttled' ? { throttled: error.retryAfter ?? deps.config.throttleWindow } : 'invalid';
        }
      } else {
        return 'invalid';
      }
      await mfa.disable(account);
      return 'disabled';
    },
  };
}
