import type { SessionKind } from '../core/sessions.js';

/**
 * The cookies of the sign-in sessions (core/sessions.ts). On an https issuer the name
 * carries the `__Host-` prefix: browsers accept it only with Secure, Path=/ and no
 * Domain, so no subdomain can plant or overwrite it (RFC 6265bis §4.1.3.2). HttpOnly
 * (no script reads it); SameSite=Lax, so the top-level GET navigation from the client's
 * site to /oauth/authorize carries it, while cross-site POSTs and subresources do not.
 */
export interface SessionCookie {
  /** The cookie's name: `__Host-gatehouse_session` / `gatehouse_session` (users), `…gatehouse_admin_session` (admins). */
  name: string;
  /** Reads the session token from a Cookie header; undefined when absent. */
  read(header: string | undefined): string | undefined;
  /** The Set-Cookie value carrying `token`, kept by the browser for `maxAgeSeconds`. */
  set(token: string, maxAgeSeconds: number): string;
  /** The Set-Cookie value that removes it. */
  clear(): string;
}

const BASE_NAMES: Record<SessionKind, string> = { user: 'gatehouse_session', admin: 'gatehouse_admin_session' };

/** Whether the issuer is https (cookies then carry Secure and the `__Host-` prefix). */
export function isSecureIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'https:';
}

/** A cookie of the same shape for another value (a sign-in form's CSRF nonce, for one). */
export function hostCookie(baseName: string, issuer: string): SessionCookie {
  const secure = isSecureIssuer(issuer);
  const name = secure ? `__Host-${baseName}` : baseName;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    name,
    read: (header) => readCookie(header, name),
    set: (token, maxAgeSeconds) => `${name}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; ${attributes}`,
    clear: () => `${name}=; Max-Age=0; ${attributes}`,
  };
}

/** The cookie of the sign-in session of `kind` for this issuer. */
export function sessionCookie(kind: SessionKind, issuer: string): SessionCookie {
  return hostCookie(BASE_NAMES[kind], issuer);
}

/** Reads one cookie from the Cookie header (RFC 6265 §5.4), undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
