import { ValidationError } from './errors.js';

/**
 * The one rule for registering a redirect URI (CLI, admin API and dashboard all go through
 * the clients service, which calls `validateRedirectUri`). RFC 6749 §3.1.2 asks for an
 * absolute URI without a fragment; RFC 9700 §2.1 and §4.1 for exact matching, which a
 * wildcard, a userinfo part or a dot segment would undermine; RFC 6749 §3.1.2.1 and RFC 9700
 * §2.6 for TLS. What is accepted:
 *
 * - `https:` with a host;
 * - `http:` on a loopback host only: `127.0.0.1`, `[::1]` or `localhost` (RFC 8252 §7.3,
 *   native apps listening on a loopback port);
 * - a private-use scheme in reverse-domain form, which therefore contains a `.`
 *   (`com.example.app:/callback`, RFC 8252 §7.1). That also keeps out `javascript:`,
 *   `data:`, `vbscript:`, `file:`, `ftp:` and every other registered scheme.
 *
 * Stored URIs are not checked again when a client uses them: a client registered under an
 * earlier, laxer rule keeps working (`gatehouse client show` warns about it).
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** RFC 3986 unreserved, reserved and `%`: anything else (space, quote, backslash, `<>{}|^\``, control or non-ASCII characters) must be percent-encoded. */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;

/** Why a redirect URI would be refused at registration, or undefined when it is acceptable. */
export function redirectUriProblem(uri: string): string | undefined {
  if (!URI_CHARACTERS.test(uri)) return 'it contains a character that must be percent-encoded (a space, a quote, a backslash, a control or non-ASCII character)';
  if (!SCHEME.test(uri)) return 'it must be an absolute URI (RFC 6749 §3.1.2)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'it must be an absolute URI (RFC 6749 §3.1.2)';
  }
  if (uri.includes('#')) return 'it must not contain a fragment (RFC 6749 §3.1.2)';
  if (uri.includes('*')) return 'wildcards are not allowed: register every redirect URI exactly (RFC 9700 §4.1.3)';
  if (url.username !== '' || url.password !== '' || authorityOf(uri).includes('@')) return 'it must not contain a user name or password (RFC 9700 §4.1.3)';
  if (hasDotSegment(uri)) return "it must not contain '.' or '..' path segments (RFC 3986 §5.2.4)";
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.hostname === '' ? 'an https redirect URI needs a host' : undefined;
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'http is allowed only on a loopback host (127.0.0.1, [::1] or localhost, RFC 8252 §7.3): use https (RFC 9700 §2.6)';
  }
  if (!scheme.includes('.')) {
    return `the scheme ${scheme}: is not allowed: use https, loopback http, or a private-use scheme in reverse domain form such as com.example.app: (RFC 8252 §7.1)`;
  }
  return undefined;
}

/** Throws a ValidationError naming the URI and the rule it breaks; returns the URI unchanged. */
export function validateRedirectUri(uri: string): string {
  const problem = redirectUriProblem(uri);
  if (problem !== undefined) throw new ValidationError(`invalid redirect URI ${JSON.stringify(uri)}: ${problem}`, { field: 'redirect_uris' });
  return uri;
}

/** The authority of `scheme://authority/...` as written ('' without one). */
function authorityOf(uri: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  return match?.[1] ?? '';
}

/** A `.` or `..` segment in the path as written, percent-encoded dots included (the URL parser would resolve them silently). */
function hasDotSegment(uri: string): boolean {
  const afterScheme = uri.replace(SCHEME, '');
  const path = (afterScheme.startsWith('//') ? afterScheme.slice(2).replace(/^[^/?#]*/, '') : afterScheme).split(/[?#]/, 1)[0]!;
  return path.split('/').some((segment) => {
    const decoded = segment.replace(/%2e/gi, '.');
    return decoded === '.' || decoded === '..';
  });
}
