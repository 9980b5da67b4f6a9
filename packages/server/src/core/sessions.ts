import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Config } from './config.js';
import { deriveKey, digestSecret, randomToken } from './secrets.js';
import { SESSION_TOUCH_INTERVAL_MS, type SessionKind, type SessionStore, type SignInSession } from './storage.js';

/**
 * Server-side sign-in sessions (issue 14): an end user's, shared by /oauth/authorize and
 * /account, and an admin's for /admin — separate kinds, separate cookies. The browser
 * holds only a random token (256 bits); the database holds its HMAC digest under a key
 * derived from the master key, so a database leak yields no usable session, and every
 * process of a cluster honours (or refuses) the same sessions.
 *
 * A session ends after its idle lifetime without use, at its absolute lifetime whatever
 * the use, at logout, or when every session of its subject is ended (user disabled,
 * password reset or changed, sessions revoked by an operator).
 */

export type { SessionKind, SignInSession } from './storage.js';

export interface SessionServiceDeps {
  sessions: SessionStore;
  /** sessionDigestKey(masterKey): keys the stored token digests. */
  digestKey: Buffer;
  /** sessionCsrfKey(masterKey): keys the per-session CSRF tokens. */
  csrfKey: Buffer;
  config: Pick<Config, 'userSessionIdleTtl' | 'userSessionMaxAge' | 'adminSessionIdleTtl' | 'adminSessionMaxAge'>;
  clock?: () => number;
}

export interface StartedSession {
  /** The token for the cookie: shown once, stored only as a digest. */
  token: string;
  session: SignInSession;
}

/** The idle and absolute lifetimes of a kind of session, in ms. */
export interface SessionLifetimes {
  idleMs: number;
  maxMs: number;
}

export function sessionDigestKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'sign-in session digest');
}

export function sessionCsrfKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'sign-in session csrf');
}

/** 32 random bytes, base64url: anything else is no session token (no lookup). */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class SessionService {
  private readonly clock: () => number;

  constructor(private readonly deps: SessionServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  lifetimes(kind: SessionKind): SessionLifetimes {
    const { config } = this.deps;
    return kind === 'user'
      ? { idleMs: config.userSessionIdleTtl * 1000, maxMs: config.userSessionMaxAge * 1000 }
      : { idleMs: config.adminSessionIdleTtl * 1000, maxMs: config.adminSessionMaxAge * 1000 };
  }

  /**
   * Starts a session for the subject, who has just proved who they are (password). Always
   * a fresh token: a session is never carried over from before the sign-in (fixation).
   */
  async start(kind: SessionKind, subjectId: string): Promise<StartedSession> {
    const now = this.clock();
    const { idleMs, maxMs } = this.lifetimes(kind);
    const token = randomToken(32);
    const session = await this.deps.sessions.createSession({
      id: randomUUID(),
      tokenDigest: digestSecret(token, this.deps.digestKey),
      kind,
      subjectId,
      createdAt: now,
      idleExpiresAt: now + idleMs,
      absoluteExpiresAt: now + maxMs,
    });
    return { token, session };
  }

  /**
   * The live session of `kind` the token names, recording the use (which extends the idle
   * lifetime, at most once a minute); undefined when the token is absent, malformed,
   * unknown, expired, ended, or a session of the other kind. The lookup is by keyed digest:
   * its timing tells nothing about the token, whose digest no one can compute without the key.
   */
  async resume(kind: SessionKind, token: string | undefined): Promise<SignInSession | undefined> {
    const session = await this.find(token);
    if (!session || session.kind !== kind) return undefined;
    const now = this.clock();
    if (now - session.lastSeenAt >= SESSION_TOUCH_INTERVAL_MS) {
      const { idleMs } = this.lifetimes(kind);
      await this.deps.sessions.touchSession(session.id, now, idleMs);
      return { ...session, lastSeenAt: now, idleExpiresAt: Math.min(now + idleMs, session.absoluteExpiresAt) };
    }
    return session;
  }

  /** Ends the session the token names (logout); false when there was none. */
  async end(token: string | undefined): Promise<boolean> {
    const session = await this.find(token);
    return session ? this.deps.sessions.endSession(session.id) : false;
  }

  /** Ends every session of the subject (of this kind), on every process; `except` keeps one (the caller's own). */
  endAll(kind: SessionKind, subjectId: string, options: { except?: string } = {}): Promise<number> {
    return this.deps.sessions.endSessionsOf(kind, subjectId, options.except);
  }

  /** Deletes expired sessions (serve does it every 10 minutes); returns how many. */
  prune(): Promise<number> {
    return this.deps.sessions.pruneExpired(this.clock());
  }

  /**
   * The CSRF token of the session's forms: HMAC of the session id under a key derived
   * from the master key. Stable for the session's life (several tabs work), different for
   * every session, and unknowable to another site (it cannot read the page).
   */
  csrfToken(session: Pick<SignInSession, 'id'>): string {
    return createHmac('sha256', this.deps.csrfKey).update(`session:${session.id}`).digest('base64url');
  }

  /** Constant-time check of a form's CSRF token against the session's. */
  csrfTokenMatches(session: Pick<SignInSession, 'id'>, presented: string | undefined): boolean {
    return tokensEqual(this.csrfToken(session), presented);
  }

  /**
   * A CSRF token for a form shown before any session exists (a sign-in form): bound to a
   * random nonce the browser keeps in a cookie (signed double submit), so another site
   * can neither read nor forge it.
   */
  preSessionCsrfToken(nonce: string): string {
    return createHmac('sha256', this.deps.csrfKey).update(`pre-session:${nonce}`).digest('base64url');
  }

  preSessionCsrfTokenMatches(nonce: string | undefined, presented: string | undefined): boolean {
    return nonce !== undefined && SESSION_TOKEN.test(nonce) && tokensEqual(this.preSessionCsrfToken(nonce), presented);
  }

  private async find(token: string | undefined): Promise<SignInSession | undefined> {
    if (token === undefined || !SESSION_TOKEN.test(token)) return undefined;
    return this.deps.sessions.findSession(digestSecret(token, this.deps.digestKey), this.clock());
  }
}

/** A fresh random value for preSessionCsrfToken's cookie. */
export function newCsrfNonce(): string {
  return randomToken(32);
}

function tokensEqual(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
