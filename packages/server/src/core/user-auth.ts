import type { AuditRecorder } from './audit.js';
import type { Config } from './config.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password.js';
import type { ThrottleStore, UserStore } from './storage.js';
import type { User } from './types.js';
import { isValidUsername, normalizeUsername } from './username.js';

/**
 * Why a login failed. A disabled user is `invalid_credentials` too: the login page must
 * not tell an attacker which usernames exist, or which are disabled.
 */
export type LoginErrorCode = 'invalid_credentials' | 'throttled';

export class LoginError extends Error {
  readonly code: LoginErrorCode;
  /** Seconds until an attempt may succeed again (`throttled` only): the Retry-After value. */
  readonly retryAfter: number | undefined;

  constructor(code: LoginErrorCode, message: string, retryAfter?: number) {
    super(message);
    this.name = 'LoginError';
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export interface LoginAttempt {
  username: string;
  password: string;
  /** The source address (as resolved through GATEHOUSE_TRUST_PROXY). */
  ip: string;
}

export interface UserAuthDeps {
  users: Pick<UserStore, 'findUserByUsername'>;
  throttle: ThrottleStore;
  config: Pick<Config, 'throttleWindow' | 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress'>;
  /** Records a burst of failed logins reaching a limit (once per window and key). */
  audit: AuditRecorder;
}

/**
 * Password checks under way in this process, per throttle key. A check takes tens of
 * milliseconds; without this, a burst of concurrent guesses would all read the failure
 * count before any of them is counted, and slip past the limit together. A check under
 * way counts against the limit like a failure until it ends, so at most `max` minus the
 * failures so far are checked at once. (Across a cluster, each process can let that many
 * through at the same moment: the bound is per process.)
 */
const inFlight = new Map<string, number>();

function enter(keys: readonly string[]): void {
  for (const key of keys) inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
}

function leave(keys: readonly string[]): void {
  for (const key of keys) {
    const left = (inFlight.get(key) ?? 1) - 1;
    if (left > 0) inFlight.set(key, left);
    else inFlight.delete(key);
  }
}

const INVALID = 'incorrect username or password';

/**
 * Checks a login (the login page's username and password).
 *
 * - An unknown username and a wrong password get the same answer, in the same time: for
 *   an unknown (or malformed) username a dummy hash with the current parameters is
 *   checked, and the failure is counted alike. A disabled user is refused the same way,
 *   after the same password check.
 * - Only failures are counted, per username (normalised, whether or not it exists) and
 *   per source address, over `throttleWindow`. A correct password is never delayed and
 *   does no throttle writes.
 * - Once a username has `loginMaxFailuresPerUser` failures in the window, every attempt
 *   for it is refused as `throttled` until the window ends, even with the right password
 *   (unlike client secrets, people's passwords can be guessed: the lock is the point).
 *   Likewise every attempt from an address with `loginMaxFailuresPerAddress` failures,
 *   which stops one address from trying a common password on many usernames. No password
 *   is checked while throttled, so the answer cannot tell a right guess from a wrong one.
 *
 * Returns the user (without its password hash), or throws LoginError. Storage failures
 * propagate as StorageUnavailableError.
 */
export async function authenticateUser(attempt: LoginAttempt, deps: UserAuthDeps, now: number): Promise<User> {
  const { passwordHash: _hash, ...user } = await checkPasswordThrottled(attempt, { ...deps, find: (username) => deps.users.findUserByUsername(username), keys: USER_LOGIN_KEYS }, now);
  return user;
}

/** The throttle keys and audit record of one kind of login (end users, admin accounts): kept apart. */
export interface LoginKeys {
  /** Prefix of the per-username throttle key (followed by the normalised username). */
  user: string;
  /** Prefix of the per-address throttle key. */
  address: string;
  /** The audit action of a burst reaching a limit. */
  action: 'login.throttled' | 'admin_login.throttled';
  /** Prefix of the audit target naming the username. */
  target: string;
}

const USER_LOGIN_KEYS: LoginKeys = { user: 'login-user:', address: 'login-addr:', action: 'login.throttled', target: 'user:' };

export interface PasswordCheckDeps<T> extends Omit<UserAuthDeps, 'users'> {
  /** The account named (any letter case), with its password hash; undefined when there is none. */
  find(username: string): Promise<T | undefined>;
  keys: LoginKeys;
}

/**
 * The password check of authenticateUser for any kind of account (end users; admin
 * accounts, core/admin/sign-in.ts), with the same rules: same answer and time for an
 * unknown username, a wrong password and a disabled account; only failures counted, per
 * username and per address; no password checked while throttled. Returns the account
 * (with its hash: strip it), or throws LoginError.
 */
export async function checkPasswordThrottled<T extends { passwordHash: string; disabled: boolean }>(attempt: LoginAttempt, deps: PasswordCheckDeps<T>, now: number): Promise<T> {
  const { config, throttle, keys: names } = deps;
  const wellFormed = isValidUsername(attempt.username);
  // A malformed username cannot name a user: it is checked against the dummy hash
  // without a lookup, and counted for the address only.
  const userKey = wellFormed ? `${names.user}${normalizeUsername(attempt.username)}` : undefined;
  const addressKey = `${names.address}${attempt.ip}`;
  const keys = userKey === undefined ? [addressKey] : [userKey, addressKey];

  const [perUser, perAddress] = await Promise.all([userKey === undefined ? undefined : throttle.peek(userKey, now), throttle.peek(addressKey, now)]);
  const waits = [
    userKey !== undefined && perUser ? retryAfter(perUser.count, pending(userKey), perUser.resetAt, config.loginMaxFailuresPerUser, now) : undefined,
    retryAfter(perAddress.count, pending(addressKey), perAddress.resetAt, config.loginMaxFailuresPerAddress, now),
  ].filter((wait): wait is number => wait !== undefined);
  if (waits.length > 0) {
    const seconds = Math.max(...waits);
    throw new LoginError('throttled', `too many failed login attempts; try again in ${seconds} seconds`, seconds);
  }

  // From the check above to the end of the password check, this attempt counts against
  // the limits like a failure (see inFlight): checked and entered without an await between.
  enter(keys);
  try {
    const account = wellFormed ? await deps.find(attempt.username) : undefined;
    const matches = await verifyPassword(attempt.password, account?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (account && matches && !account.disabled) return account;

    const windowMs = config.throttleWindow * 1000;
    const [userHits, addressHits] = await Promise.all([userKey === undefined ? undefined : throttle.hit(userKey, windowMs, now), throttle.hit(addressKey, windowMs, now)]);
    // The failure that reaches a limit locks the key for the rest of the window: recorded
    // once (the counter is shared, so exactly one failure sees the count equal the limit),
    // not the refusals after it. The username is named (never the password).
    const details = { address: attempt.ip, windowSeconds: config.throttleWindow };
    if (userHits?.count === config.loginMaxFailuresPerUser) {
      await deps.audit.record({ actor: 'anonymous', tenant: null, action: names.action, target: userKey!.replace(names.user, names.target), outcome: 'refused', details: { ...details, limit: config.loginMaxFailuresPerUser } });
    }
    if (addressHits.count === config.loginMaxFailuresPerAddress) {
      await deps.audit.record({ actor: 'anonymous', tenant: null, action: names.action, target: `address:${attempt.ip}`, outcome: 'refused', details: { ...details, limit: config.loginMaxFailuresPerAddress } });
    }
    throw new LoginError('invalid_credentials', INVALID);
  } finally {
    leave(keys);
  }
}

/**
 * Seconds to wait before `key` may be tried again (its failures reached `max` in the
 * window), or undefined. For throttled checks that are not passwords (a second factor).
 */
export async function throttledFor(throttle: ThrottleStore, key: string, max: number, now: number): Promise<number | undefined> {
  const state = await throttle.peek(key, now);
  return retryAfter(state.count, pending(key), state.resetAt, max, now);
}

/** Password checks under way in this process for `key`. */
function pending(key: string): number {
  return inFlight.get(key) ?? 0;
}

/**
 * Seconds to wait when `failures` plus the password checks under way reach `max`;
 * undefined when the attempt may go ahead.
 */
function retryAfter(failures: number, underWay: number, resetAt: number, max: number, now: number): number | undefined {
  if (failures + underWay < max) return undefined;
  // Over the limit by failures: until the window closes. Only by checks under way: a moment.
  return failures >= max ? Math.max(1, Math.ceil((resetAt - now) / 1000)) : 1;
}
