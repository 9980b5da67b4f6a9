import type { ResponseType } from './types.js';

/**
 * Where the parameters of a response go: the query for `code` (RFC 6749 §4.1.2), the
 * fragment for `token` (§4.2.2), errors included (§4.1.2.1, §4.2.2.1), so the implicit
 * token never reaches a server log through a query string.
 */
export function responseModeOf(responseType: ResponseType | undefined): 'query' | 'fragment' {
  return responseType === 'token' ? 'fragment' : 'query';
}

/**
 * The redirect to the client: `redirectUri` (a registered URI, kept byte for byte) plus
 * the parameters, and always `iss` (RFC 9207 §2: the client checks it against the issuer
 * it talked to, which defeats mix-up attacks). Undefined values are left out.
 */
export function buildRedirect(
  redirectUri: string,
  mode: 'query' | 'fragment',
  params: Record<string, string | undefined>,
  issuer: string,
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.append(name, value);
  search.append('iss', issuer);
  if (mode === 'fragment') return `${redirectUri}#${search.toString()}`;
  // RFC 6749 §3.1.2: a registered query component is kept; parameters are added to it.
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${search.toString()}`;
}
