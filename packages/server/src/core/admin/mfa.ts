import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditRecorder } from '../audit.js';
import { deriveKey, openSecret, sealSecret } from '../secrets.js';
import type { AdminAccount, AdminAccountCredentials, AdminAccountStore } from '../storage.js';
import { base32Decode, base32Encode, generateTotpSecret, matchTotpStep, otpauthUri } from '../totp.js';

/**
 * The optional second factor of admin accounts: TOTP (RFC 6238, core/totp.ts) with ten
 * single-use recovery codes. The TOTP secret is stored sealed (AES-256-GCM) under a key
 * derived from the master key and bound to the account; recovery codes only as HMAC
 * digests bound to the account. A code is accepted once: the last step used is recorded
 * with a compare-and-set, so a code seen over a shoulder or replayed is refused.
 */

export interface AdminMfaKeys {
  /** Seals TOTP secrets at rest, and the pending secret of an enrolment. */
  totpSecret: Buffer;
  /** Keys the recovery code digests. */
  recoveryCode: Buffer;
}

export function adminMfaKeys(masterKey: Buffer): AdminMfaKeys {
  return { totpSecret: deriveKey(masterKey, 'admin totp secret'), recoveryCode: deriveKey(masterKey, 'admin recovery code digest') };
}

export const RECOVERY_CODE_COUNT = 10;
/** An enrolment (secret shown → first code typed) must be confirmed within this time. */
export const ENROLMENT_TTL_MS = 15 * 60 * 1000;

const secretContext = (accountId: string) => `gatehouse admin totp secret ${accountId}`;
const enrolmentContext = (accountId: string) => `gatehouse admin totp enrolment ${accountId}`;

export function sealTotpSecret(secret: Buffer, accountId: string, key: Buffer): string {
  return sealSecret(base32Encode(secret), key, secretContext(accountId));
}

/** The account's TOTP secret; undefined when the sealed value cannot be opened (another master key, tampering). */
export function openTotpSecret(sealed: string, accountId: string, key: Buffer): Buffer | undefined {
  try {
    return base32Decode(openSecret(sealed, key, secretContext(accountId)));
  } catch {
    return undefined;
  }
}

/** Ten codes of 10 base32 characters (50 bits each), shown as `xxxxx-xxxxx`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const text = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });
}

/** The digest of a recovery code as typed (letter case, spaces and hyphens ignored), bound to the account. */
export function recoveryCodeDigest(code: string, accountId: string, key: Buffer): string {
  const normalized = code.replace(/[\s-]/g, '').toLowerCase();
  return createHmac('sha256', key).update(`${accountId}:${normalized}`).digest('base64url');
}

/** Six digits (spaces allowed): a TOTP code; anything else is taken for a recovery code. */
export function looksLikeTotpCode(input: string): boolean {
  return /^\d{6}$/.test(input.replace(/\s+/g, ''));
}

export type SecondFactorCheck = 'totp' | 'recovery_code' | 'replayed' | 'invalid';

export interface AdminMfaDeps {
  accounts: Pick<AdminAccountStore, 'enableAdminMfa' | 'disableAdminMfa' | 'useTotpStep' | 'useRecoveryCode'>;
  keys: AdminMfaKeys;
  audit: AuditRecorder;
  /** The label authenticator apps show (`Gatehouse (auth.example.com)`). */
  issuerLabel: string;
}

/** A TOTP enrolment shown to the account: the secret (base32 and otpauth URI) and the sealed token the confirmation form carries back. */
export interface MfaEnrolment {
  secret: string;
  uri: string;
  token: string;
}

/** Enrolment, confirmation, checks and removal of an account's second factor. */
export class AdminMfa {
  constructor(private readonly deps: AdminMfaDeps) {}

  /**
   * Starts an enrolment: a fresh secret generated here (never chosen by the browser), and
   * a token sealing it with the account id and a deadline, which the confirmation form
   * carries back (nothing is stored until a first code confirms it).
   */
  beginEnrolment(account: Pick<AdminAccount, 'id' | 'username'>, now: number): MfaEnrolment {
    const secret = generateTotpSecret();
    const token = sealSecret(JSON.stringify({ s: base32Encode(secret), exp: now + ENROLMENT_TTL_MS }), this.deps.keys.totpSecret, enrolmentContext(account.id));
    return { secret: base32Encode(secret), uri: otpauthUri(secret, this.deps.issuerLabel, account.username), token };
  }

  /** The enrolment a token carries, if it is this account's and not expired. */
  openEnrolment(account: Pick<AdminAccount, 'id' | 'username'>, token: string, now: number): MfaEnrolment | undefined {
    try {
      const { s, exp } = JSON.parse(openSecret(token, this.deps.keys.totpSecret, enrolmentContext(account.id))) as { s: string; exp: number };
      const secret = base32Decode(s);
      if (!secret || typeof exp !== 'number' || now >= exp) return undefined;
      return { secret: s, uri: otpauthUri(secret, this.deps.issuerLabel, account.username), token };
    } catch {
      return undefined;
    }
  }

  /**
   * Confirms an enrolment with a first code of the new secret: stores the secret sealed,
   * the code's step as used, and ten fresh recovery codes (digests only), which are
   * returned to be shown once. Undefined when the code does not match (nothing stored).
   * Recorded as `admin.enable_mfa`.
   */
  async confirmEnrolment(account: AdminAccount, enrolment: MfaEnrolment, code: string, now: number): Promise<string[] | undefined> {
    const secret = base32Decode(enrolment.secret)!;
    const step = matchTotpStep(secret, code, now);
    if (step === undefined) return undefined;
    const recoveryCodes = generateRecoveryCodes();
    const digests = recoveryCodes.map((each) => recoveryCodeDigest(each, account.id, this.deps.keys.recoveryCode));
    const updated = await this.deps.accounts.enableAdminMfa(account.id, sealTotpSecret(secret, account.id, this.deps.keys.totpSecret), step, digests);
    if (!updated) return undefined;
    await this.record(account, 'admin.enable_mfa');
    return recoveryCodes;
  }

  /**
   * Checks a second factor: a current TOTP code (±1 step, RFC 6238 §5.2), accepted only
   * if its step is later than the last one used (`replayed` otherwise), or an unused
   * recovery code, consumed by this check.
   */
  async check(account: AdminAccountCredentials, input: string, now: number): Promise<SecondFactorCheck> {
    if (!account.totpSecretSealed) return 'invalid';
    if (looksLikeTotpCode(input)) {
      const secret = openTotpSecret(account.totpSecretSealed, account.id, this.deps.keys.totpSecret);
      const step = secret && matchTotpStep(secret, input, now);
      if (step === undefined) return 'invalid';
      return (await this.deps.accounts.useTotpStep(account.id, step)) ? 'totp' : 'replayed';
    }
    if (input.trim() === '' || input.length > 64) return 'invalid';
    const used = await this.deps.accounts.useRecoveryCode(account.id, recoveryCodeDigest(input, account.id, this.deps.keys.recoveryCode));
    return used ? 'recovery_code' : 'invalid';
  }

  /** Removes the account's second factor (the caller has checked a code or the password). Recorded as `admin.disable_mfa`. */
  async disable(account: AdminAccount): Promise<void> {
    await this.deps.accounts.disableAdminMfa(account.id);
    await this.record(account, 'admin.disable_mfa');
  }

  private record(account: AdminAccount, action: 'admin.enable_mfa' | 'admin.disable_mfa'): Promise<void> {
    return this.deps.audit.record({
      actor: account.username,
      tenant: account.tenantSlug,
      action,
      target: account.username,
      outcome: 'success',
      details: { role: account.tenantId === null ? 'operator' : 'tenant_admin' },
    });
  }
}

/** Constant-time string comparison (for tokens of equal public length). */
export function sameToken(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
