import { randomBytes } from 'node:crypto';
import type { AuditRecorder } from '../audit.js';
import type { Config } from '../config.js';
import { deriveKey, openSecret, sealSecret } from '../secrets.js';
import type { AdminAccount, AdminAccountCredentials, AdminAccountStore, TenantStore, ThrottleStore } from '../storage.js';
import { checkPasswordThrottled, LoginError, throttledFor, type LoginKeys } from '../user-auth.js';
import { principalOf } from './accounts.js';
import { sameToken, type AdminMfa } from './mfa.js';
import type { AdminPrincipal } from './principal.js';

/**
 * The dashboard's sign-in (issue 14) as functions from (state, input) to the next page
 * or to "signed in", like the authorization flow (core/authorize/flow.ts):
 *
 *   startSignIn          GET  /admin/login   → login page (fresh state)
 *   submitPassword       POST /admin/login   → signed in | second-factor page | login page again
 *   submitSecondFactor   POST /admin/login/second-factor → signed in | second-factor page again
 *
 * The state between the steps (the form's CSRF token; after a correct password, the
 * account waiting for its second factor) is sealed (AES-256-GCM) in a short-lived cookie,
 * so any process can continue the sign-in and nothing is stored before it succeeds. Once
 * signed in, the route starts the admin session (core/sessions.ts) and clears the state.
 *
 * The password check is the end users' (throttled per username and per address, the same
 * answer and time for an unknown username, a wrong password and a disabled account), with
 * throttle keys of its own. Second-factor failures are throttled per account.
 */

export interface AdminSignInState {
  v: 1;
  exp: number;
  csrf: string;
  /** Set once the password was right and a second factor is due. */
  pending?: { accountId: string; username: string };
}

/** How long the login form (and the second-factor step after the password) may take. */
export const ADMIN_SIGN_IN_TTL_MS = 10 * 60 * 1000;

const CONTEXT = 'gatehouse admin sign-in';

export function adminSignInKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'admin sign-in state');
}

export interface AdminLoginPageModel {
  csrfToken: string;
  error?: string;
  username?: string;
}

export interface AdminSecondFactorPageModel {
  csrfToken: string;
  username: string;
  error?: string;
}

export type AdminSignInPage =
  | { page: 'login'; model: AdminLoginPageModel }
  | { page: 'second-factor'; model: AdminSecondFactorPageModel }
  | { page: 'error'; model: { title: string; message: string } };

/** What to do with the sign-in state cookie. */
export type SignInStateUpdate = { set: string } | 'clear';

export type AdminSignInPageStep = AdminSignInPage & { kind: 'page'; status: number; state?: SignInStateUpdate; retryAfter?: number };

export type AdminSignInStep =
  | AdminSignInPageStep
  | { kind: 'signed-in'; account: AdminAccount; principal: AdminPrincipal; state: 'clear' };

export interface AdminPasswordForm {
  csrfToken: string | undefined;
  username: string;
  password: string;
}

export interface AdminSecondFactorForm {
  csrfToken: string | undefined;
  code: string;
}

export interface AdminSignInDeps {
  accounts: Pick<AdminAccountStore, 'findAdminAccountByUsername' | 'recordAdminSignIn'>;
  /** A tenant admin of a disabled tenant cannot sign in. */
  tenants: Pick<TenantStore, 'findTenantBySlug'>;
  mfa: Pick<AdminMfa, 'check'>;
  throttle: ThrottleStore;
  config: Pick<Config, 'throttleWindow' | 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress'>;
  audit: AuditRecorder;
  /** adminSignInKey(masterKey): seals the state. */
  stateKey: Buffer;
}

/** The admin logins' throttle keys and audit record: apart from the end users'. */
export const ADMIN_LOGIN_KEYS: LoginKeys = { user: 'admin-login-user:', address: 'admin-login-addr:', action: 'admin_login.throttled', target: 'admin:' };

const INVALID = 'Incorrect username or password.';
const TENANT_DISABLED = 'This tenant is disabled: its admins cannot sign in. Ask an operator to enable it.';
const THROTTLED = 'Too many failed sign-in attempts. Wait a minute, then try again.';

/**
 * GET /admin/login: the login form. A live state keeps its CSRF token (a second tab's
 * form does not invalidate the first's), with a new deadline; else a fresh state.
 */
export function startSignIn(sealed: string | undefined, deps: Pick<AdminSignInDeps, 'stateKey'>, now: number): AdminSignInStep {
  const live = openState(sealed, deps.stateKey, now);
  return loginPage(live ? { ...newState(now), csrf: live.csrf } : newState(now), deps, 200);
}

/** POST /admin/login: the password; then the second-factor page when one is enrolled, else signed in. */
export async function submitPassword(sealed: string | undefined, form: AdminPasswordForm, address: string, deps: AdminSignInDeps, now: number): Promise<AdminSignInStep> {
  const state = openState(sealed, deps.stateKey, now);
  const refused = checkForm(state, form.csrfToken, deps, now);
  if (refused) return refused;
  let account: AdminAccountCredentials;
  try {
    account = await checkPasswordThrottled(
      { username: form.username, password: form.password, ip: address },
      { ...deps, find: (username) => deps.accounts.findAdminAccountByUsername(username), keys: ADMIN_LOGIN_KEYS },
      now,
    );
  } catch (error) {
    if (!(error instanceof LoginError)) throw error;
    if (error.code === 'throttled') return { ...loginPage(state!, deps, 429, THROTTLED, form.username), retryAfter: error.retryAfter ?? 60 };
    // One message whatever failed: the page must not tell which usernames exist.
    return loginPage(state!, deps, 401, INVALID, form.username);
  }
  // Said only now that the password is verified: a guess learns nothing of the tenant.
  if (await tenantDisabled(account, deps)) return loginPage(newState(now), deps, 403, TENANT_DISABLED, form.username);
  if (account.totpSecretSealed === null) return signedIn(account, 'none', deps, now);
  // A fresh CSRF token for the next form, and the account waiting for its second factor.
  const pending: AdminSignInState = { ...newState(now), pending: { accountId: account.id, username: account.username } };
  return secondFactorPage(pending, deps, 200);
}

/** POST /admin/login/second-factor: a TOTP code or a recovery code. */
export async function submitSecondFactor(sealed: string | undefined, form: AdminSecondFactorForm, deps: AdminSignInDeps, now: number): Promise<AdminSignInStep> {
  const state = openState(sealed, deps.stateKey, now);
  const refused = checkForm(state, form.csrfToken, deps, now);
  if (refused) return refused;
  const pending = state!.pending;
  if (!pending) return loginPage(newState(now), deps, 400, 'Sign in with your username and password first.');
  const key = `admin-mfa:${pending.accountId}`;
  const wait = await throttledFor(deps.throttle, key, deps.config.loginMaxFailuresPerUser, now);
  if (wait !== undefined) return { ...secondFactorPage(state!, deps, 429, THROTTLED), retryAfter: wait };

  const account = await deps.accounts.findAdminAccountByUsername(pending.username);
  // Deleted, replaced, disabled or its MFA removed since the password step: start again.
  if (!account || account.id !== pending.accountId || account.disabled || account.totpSecretSealed === null) {
    return loginPage(newState(now), deps, 400, 'Your sign-in could not be completed. Sign in again.');
  }
  if (await tenantDisabled(account, deps)) return loginPage(newState(now), deps, 403, TENANT_DISABLED, account.username);
  const outcome = await deps.mfa.check(account, form.code, now);
  if (outcome === 'totp' || outcome === 'recovery_code') return signedIn(account, outcome, deps, now);

  const hits = await deps.throttle.hit(key, deps.config.throttleWindow * 1000, now);
  if (hits.count === deps.config.loginMaxFailuresPerUser) {
    await deps.audit.record({
      actor: 'anonymous',
      tenant: null,
      action: 'admin_login.throttled',
      target: `admin-mfa:${account.username}`,
      outcome: 'refused',
      details: { windowSeconds: deps.config.throttleWindow, limit: deps.config.loginMaxFailuresPerUser },
    });
  }
  const message = outcome === 'replayed' ? 'That code was used already. Wait for the next code of your authenticator app.' : 'That code is not right. Try the current code, or a recovery code.';
  return secondFactorPage(state!, deps, 401, message);
}

/** Whether the account is a tenant admin whose tenant is disabled (or gone): it may not sign in, and its sessions stop working. */
export async function tenantDisabled(account: Pick<AdminAccount, 'tenantSlug'>, deps: Pick<AdminSignInDeps, 'tenants'>): Promise<boolean> {
  if (account.tenantSlug === null) return false;
  const tenant = await deps.tenants.findTenantBySlug(account.tenantSlug);
  return !tenant || tenant.disabled;
}

/** The form's state, or the page that refuses it: no (or an expired) state gets a fresh form; a wrong CSRF token is refused. */
function checkForm(state: AdminSignInState | undefined, csrfToken: string | undefined, deps: Pick<AdminSignInDeps, 'stateKey'>, now: number): AdminSignInPageStep | undefined {
  if (!state) return loginPage(newState(now), deps, 400, 'The sign-in form expired, or cookies are disabled. Try again.');
  if (!sameToken(state.csrf, csrfToken)) {
    return { kind: 'page', status: 403, page: 'error', model: { title: 'Request refused', message: 'The form could not be verified. Go back to the sign-in page and try again.' } };
  }
  return undefined;
}

async function signedIn(account: AdminAccountCredentials, factor: 'none' | 'totp' | 'recovery_code', deps: AdminSignInDeps, now: number): Promise<AdminSignInStep> {
  const { passwordHash: _hash, totpSecretSealed: _secret, totpLastStep: _step, ...plain } = account;
  await deps.accounts.recordAdminSignIn(account.id, now);
  await deps.audit.record({
    actor: account.username,
    tenant: account.tenantSlug,
    action: 'admin.sign_in',
    target: account.username,
    outcome: 'success',
    details: { role: account.tenantId === null ? 'operator' : 'tenant_admin', factor },
  });
  return { kind: 'signed-in', account: { ...plain, lastSignInAt: now }, principal: principalOf(account), state: 'clear' };
}

function newState(now: number): AdminSignInState {
  return { v: 1, exp: now + ADMIN_SIGN_IN_TTL_MS, csrf: randomBytes(32).toString('base64url') };
}

function loginPage(state: AdminSignInState, deps: Pick<AdminSignInDeps, 'stateKey'>, status: number, error?: string, username?: string): AdminSignInPageStep {
  return {
    kind: 'page',
    status,
    page: 'login',
    model: { csrfToken: state.csrf, ...(error ? { error } : {}), ...(username ? { username } : {}) },
    state: { set: sealState({ v: 1, exp: state.exp, csrf: state.csrf }, deps.stateKey) },
  };
}

function secondFactorPage(state: AdminSignInState, deps: Pick<AdminSignInDeps, 'stateKey'>, status: number, error?: string): AdminSignInPageStep {
  return {
    kind: 'page',
    status,
    page: 'second-factor',
    model: { csrfToken: state.csrf, username: state.pending!.username, ...(error ? { error } : {}) },
    state: { set: sealState(state, deps.stateKey) },
  };
}

export function sealState(state: AdminSignInState, key: Buffer): string {
  return sealSecret(JSON.stringify(state), key, CONTEXT);
}

/** The sealed state; undefined when absent, forged, corrupt or expired. */
export function openState(sealed: string | undefined, key: Buffer, now: number): AdminSignInState | undefined {
  if (sealed === undefined || sealed.length > 4096) return undefined;
  try {
    const state = JSON.parse(openSecret(sealed, key, CONTEXT)) as AdminSignInState;
    if (state?.v !== 1 || typeof state.exp !== 'number' || typeof state.csrf !== 'string') return undefined;
    return now < state.exp ? state : undefined;
  } catch {
    return undefined;
  }
}
