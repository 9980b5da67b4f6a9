import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ValidationError } from './errors.js';

/**
 * Branding: what the deployment (configuration) and each tenant (TenantService.setBranding)
 * may set about how the pages look — an accent colour, a logo, links to terms and privacy —
 * and the checks both share. The pages render it (web/layout.ts, web/branding.ts).
 */

/** The image types a logo may have. SVG is served under its own CSP (no script runs). */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** The largest logo accepted, in bytes: a header image, not a photo. */
export const MAX_LOGO_BYTES = 256 * 1024;

export interface Logo {
  contentType: LogoType;
  data: Buffer;
}

const ACCENT = /^#[0-9a-f]{6}$/;

/** `#rrggbb` (any case) as lower case; ValidationError naming `what` otherwise. */
export function checkAccent(value: string, what: string): string {
  const accent = value.trim().toLowerCase();
  if (!ACCENT.test(accent)) throw new ValidationError(`${what} "${value}": expected a colour as #rrggbb (e.g. #0b6bcb)`);
  return accent;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * A link shown in the pages' footer: an absolute https URL (http only for a loopback host,
 * in development), without credentials; ValidationError naming `what` otherwise.
 */
export function checkBrandUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ValidationError(`${what} "${value}": expected an absolute https URL`);
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) throw new ValidationError(`${what} "${value}": expected an https URL (http only for localhost)`);
  if (url.username || url.password) throw new ValidationError(`${what} "${value}": must not contain credentials`);
  if (url.href.length > 2000) throw new ValidationError(`${what}: a URL must be at most 2000 characters`);
  return url.href;
}

/**
 * The logo's type, read from its bytes (never from a file name or a client's say-so):
 * PNG, JPEG and WebP by their signatures, SVG by its root element. ValidationError naming
 * `what` for anything else, an empty file or one over MAX_LOGO_BYTES.
 */
export function checkLogo(data: Uint8Array, what: string): Logo {
  const bytes = Buffer.from(data);
  if (bytes.length === 0) throw new ValidationError(`${what}: the logo is empty`);
  if (bytes.length > MAX_LOGO_BYTES) throw new ValidationError(`${what}: the logo is ${bytes.length} bytes, more than the ${MAX_LOGO_BYTES} allowed`);
  const contentType = sniffLogoType(bytes);
  if (!contentType) throw new ValidationError(`${what}: the logo must be a PNG, JPEG, WebP or SVG image`);
  return { contentType, data: bytes };
}

function sniffLogoType(bytes: Buffer): LogoType | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return isSvgDocument(bytes) ? 'image/svg+xml' : undefined;
}

/** Where Gatehouse serves a tenant's branding (server/routes/branding.ts). */
export const TENANT_ASSETS_PREFIX = '/oauth/assets/tenants/';

export function tenantStylesheetPath(slug: string): string {
  return `${TENANT_ASSETS_PREFIX}${slug}.css`;
}

/** The logo's path, versioned by its digest when given (so a changed logo is fetched again). */
export function tenantLogoPath(slug: string, digest?: string): string {
  return `${TENANT_ASSETS_PREFIX}${slug}/logo${digest ? `?v=${digest.slice(0, 8)}` : ''}`;
}

/** The prologue an SVG document may open with before its root element (XML declaration, comments, doctype). */
const PROLOGUE = [
  ['<?xml', '?>'],
  ['<!--', '-->'],
  ['<!doctype', '>'],
] as const;

/** Whether the bytes are an SVG document: an optional BOM and prologue, then <svg. A scan, not a backtracking regex. */
function isSvgDocument(bytes: Buffer): boolean {
  let text = bytes.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '');
  for (let parts = 0; parts < 32; parts++) {
    text = text.trimStart();
    const head = text.slice(0, 9).toLowerCase();
    const part = PROLOGUE.find(([open]) => head.startsWith(open));
    if (!part) break;
    const end = text.indexOf(part[1], part[0].length);
    if (end === -1) return false;
    text = text.slice(end + part[1].length);
  }
  return /^<svg[\s>]/i.test(text);
}

/** A strong validator (RFC 9110 §8.8.3) for a served asset: the same bytes give the same tag on every node. */
export function entityTag(content: string | Uint8Array): string {
  return `"${createHash('sha256').update(content).digest('base64url').slice(0, 22)}"`;
}

// --- Accent colours: the text on them and their use as text keep ≥ 4.5:1 contrast (WCAG 2.1 §1.4.3) ---

type Rgb = [number, number, number];

function parseHex(hex: string): Rgb {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2.1 relative luminance. */
function luminance([r, g, b]: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [luminance(parseHex(a)), luminance(parseHex(b))];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function mix(from: Rgb, to: Rgb, amount: number): Rgb {
  return from.map((c, i) => c + (to[i]! - c) * amount) as Rgb;
}

/** The colour moved towards `towards` in small steps until it reaches 4.5:1 against `background`. */
function readableOn(color: string, background: string, towards: string): string {
  for (let step = 0; step <= 20; step++) {
    const candidate = toHex(mix(parseHex(color), parseHex(towards), step / 20));
    if (contrastRatio(candidate, background) >= 4.5) return candidate;
  }
  return towards;
}

export interface AccentColours {
  /** Button and mark backgrounds. */
  accent: string;
  /** Text on the accent: white or near-black, whichever contrasts more (always ≥ 4.5:1). */
  onAccent: string;
  /** Links and focus rings on the light page. */
  textLight: string;
  /** Links and focus rings on the dark page. */
  textDark: string;
  /** A faint tint of the accent (marks, highlights), light and dark. */
  softLight: string;
  softDark: string;
}

/** The page backgrounds the accent text is checked against: the darkest light one, the lightest dark one (web/assets.ts). */
export const LIGHT_SURFACE = '#f3f4f6';
export const DARK_SURFACE = '#1c222b';

export function accentColours(accent: string): AccentColours {
  const onAccent = contrastRatio(accent, '#ffffff') >= contrastRatio(accent, '#111111') ? '#ffffff' : '#111111';
  return {
    accent,
    onAccent,
    textLight: readableOn(accent, LIGHT_SURFACE, '#000000'),
    textDark: readableOn(accent, DARK_SURFACE, '#ffffff'),
    softLight: toHex(mix(parseHex(accent), [255, 255, 255], 0.9)),
    softDark: toHex(mix(parseHex(accent), parseHex(DARK_SURFACE), 0.8)),
  };
}
