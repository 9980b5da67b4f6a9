import { randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKey, openSecret, sealSecret } from '../secrets.js';
import type { AuthorizationRequest } from './types.js';

/**
 * The state of one authorization in progress (the pending request, then the logged-in
 * user), kept in the browser as an AES-256-GCM sealed value — confidential and
 * integrity-protected under a key derived from the master key — rather than in server
 * memory, so any server process of a cluster can continue the flow. Short-lived, and
 * carrying its own CSRF token: a form is accepted only with the token of the session
 * the browser sends (the attacker can neither read nor forge the sealed value).
 *
 * A sealed session can be resent by whoever holds it until it expires (it is HttpOnly,
 * SameSite=Lax, and cleared when the flow ends), but it approves once: its one-time `nonce`
 * determines the code of the approval, whose stored digest is unique (complete.ts,
 * approvalCode), so a resent login or consent form yields no second code or token.
 */
export interface AuthorizationSession {
  v: 1;
  /** Epoch ms after which the session is refused. */
  exp: number;
  /** The CSRF token of the session's forms. */
  csrf: string;
  /** One approval, one code: see approvalCode. Absent in sessions sealed before it existed (they approve nothing). */
  nonce?: string;
  request: AuthorizationRequest;
  /** Set once the user has logged in. */
  user?: { id: string; authTime: number };
}

/** How long an authorization may take, from the request to the consent (10 minutes). */
export const AUTHORIZATION_SESSION_TTL_MS = 10 * 60 * 1000;

const CONTEXT = 'gatehouse authorization session';

export function authorizationSessionKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'authorization session');
}

/** A fresh session for a validated request, with a fresh CSRF token. */
export function newAuthorizationSession(request: AuthorizationRequest, now: number): AuthorizationSession {
  return { v: 1, exp: now + AUTHORIZATION_SESSION_TTL_MS, csrf: randomBytes(32).toString('base64url'), nonce: randomBytes(32).toString('base64url'), request };
}

/** The session after a login: the user is recorded and the CSRF token replaced. */
export function withUser(session: AuthorizationSession, userId: string, now: number): AuthorizationSession {
  return { ...session, csrf: randomBytes(32).toString('base64url'), user: { id: userId, authTime: now } };
}

export function sealAuthorizationSession(session: AuthorizationSession, key: Buffer): string {
  return sealSecret(JSON.stringify(session), key, CONTEXT);
}

/** The session sealed in `sealed`; undefined when it is absent, forged, corrupt or expired. */
export function openAuthorizationSession(sealed: string | undefined, key: Buffer, now: number): AuthorizationSession | undefined {
  if (sealed === undefined || sealed.length > 8192) return undefined;
  let session: AuthorizationSession;
  try {
    session = JSON.parse(openSecret(sealed, key, CONTEXT)) as AuthorizationSession;
  } catch {
    return undefined;
  }
  if (session?.v !== 1 || typeof session.exp !== 'number' || typeof session.csrf !== 'string' || typeof session.request !== 'object') return undefined;
  return now < session.exp ? session : undefined;
}

/** Constant-time check of a form's CSRF token against the session's. */
export function csrfTokenMatches(session: AuthorizationSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(session.csrf, 'utf8');
  const given = Buffer.from(presented, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
