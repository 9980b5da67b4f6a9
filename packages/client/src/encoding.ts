/** Encodings the SDK sends (form, Basic, Base64/Base64url), on web APIs only, and a JSON shape check. */

/**
 * RFC 6749 §2.3.1: client_id and secret are application/x-www-form-urlencoded (spaces
 * as `+`, everything but `*-._` and alphanumerics percent-encoded) before `id:secret` is
 * Base64-encoded, so a `:` or a non-ASCII character in either survives the trip.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${base64(new TextEncoder().encode(`${formEncode(clientId)}:${formEncode(clientSecret)}`))}`;
}

/** application/x-www-form-urlencoded, as URLSearchParams serializes a value. */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** RFC 4648 §5, without padding (RFC 7636 Appendix A). */
export function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

