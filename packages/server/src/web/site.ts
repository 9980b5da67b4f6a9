import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { accentColours, checkLogo, entityTag, type Logo } from '../core/branding.js';
import type { Config } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { escapeHtml } from './html.js';

/**
 * The deployment's appearance: product name, logo, accent, terms and privacy links (the
 * GATEHOUSE_PRODUCT_NAME … settings) and the operator's templates (GATEHOUSE_TEMPLATES_DIR),
 * read once when the server starts (loadSite). Every page's layout() draws from it.
 */
export interface Site {
  productName: string;
  /** Where the deployment's logo is served (SITE_LOGO_PATH), when one is configured. */
  logoUrl?: string;
  /** The stylesheet carrying the deployment's accent (BRAND_STYLESHEET_PATH), when one is configured. */
  brandStylesheetUrl?: string;
  /** The operator's stylesheet (CUSTOM_STYLESHEET_PATH), linked after every other. */
  customStylesheetUrl?: string;
  termsUrl?: string;
  privacyUrl?: string;
  templates: SiteTemplates;
  /** The served assets, with their entity tags. */
  assets: SiteAssets;
}

export interface SiteTemplates {
  /** Replaces the header's brand (the nav, when a page has one, follows it). */
  header?: Template;
  /** Replaces the footer's links. */
  footer?: Template;
}

export interface SiteAssets {
  logo?: Logo & { etag: string };
  brandStylesheet?: { css: string; etag: string };
  customStylesheet?: { css: string; etag: string };
}

/** What a page for a tenant shows of it (TenantService branding, web/branding.ts URLs). */
export interface TenantAppearance {
  slug: string;
  /** The tenant's display name. */
  name: string;
  logoUrl?: string;
  stylesheetUrl?: string;
  termsUrl?: string;
  privacyUrl?: string;
}

/** A compiled template: placeholders filled with HTML-escaped values. */
export type Template = (values: Readonly<Record<string, string>>) => string;

export const SITE_LOGO_PATH = '/oauth/assets/logo';
export const BRAND_STYLESHEET_PATH = '/oauth/assets/brand.css';
export const CUSTOM_STYLESHEET_PATH = '/oauth/assets/custom.css';
/** The icon every page links (and /favicon.ico, which browsers ask for on their own). */
export const ICON_PATH = '/oauth/assets/icon.svg';

/** The placeholders a header or footer template may use (docs/branding.md). */
export const TEMPLATE_PLACEHOLDERS = ['product_name', 'logo_url', 'tenant_name', 'tenant_slug', 'tenant_logo_url', 'terms_url', 'privacy_url'] as const;

/** The files of GATEHOUSE_TEMPLATES_DIR that are read; any may be absent. */
export const TEMPLATE_FILES = { header: 'header.html', footer: 'footer.html', stylesheet: 'custom.css' } as const;

const MAX_TEMPLATE_BYTES = 64 * 1024;

export const DEFAULT_SITE: Site = Object.freeze({ productName: 'Gatehouse', templates: {}, assets: {} });

/**
 * Compiles a template: `{{ name }}` is replaced by the escaped value of a known
 * placeholder. An unknown placeholder, or a <script> (the pages' CSP would block it), is
 * a ValidationError naming `file` and the line.
 */
export function compileTemplate(source: string, file: string): Template {
  const known = new Set<string>(TEMPLATE_PLACEHOLDERS);
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  for (const match of source.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!known.has(match[1]!)) {
      throw new ValidationError(`template ${file} line ${lineOf(match.index)}: unknown placeholder {{${match[1]}}} (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`);
    }
  }
  const script = /<script\b/i.exec(source);
  if (script) throw new ValidationError(`template ${file} line ${lineOf(script.index)}: <script> is not allowed (the pages' Content-Security-Policy blocks scripts)`);
  const style = /\sstyle\s*=|<style\b/i.exec(source);
  if (style) throw new ValidationError(`template ${file} line ${lineOf(style.index)}: inline style is not allowed (the pages' Content-Security-Policy blocks it); put rules in ${TEMPLATE_FILES.stylesheet}`);
  return (values) => source.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => escapeHtml(values[name] ?? ''));
}

function readTemplateFile(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError(`template ${path}: cannot be read (${(error as Error).message})`);
  }
  if (size > MAX_TEMPLATE_BYTES) throw new ValidationError(`template ${path}: ${size} bytes, more than the ${MAX_TEMPLATE_BYTES} allowed`);
  const bytes = readFileSync(path);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) throw new ValidationError(`template ${path}: not valid UTF-8`);
  return text;
}

/** The accent stylesheet: the custom properties of web/assets.ts, light and dark. */
export function accentStylesheet(accent: string, selector = ':root'): string {
  const colours = accentColours(accent);
  return `${selector} { --accent: ${colours.accent}; --on-accent: ${colours.onAccent}; --accent-text: ${colours.textLight}; --accent-soft: ${colours.softLight}; }
@media (prefers-color-scheme: dark) { ${selector} { --accent: ${colours.accent}; --on-accent: ${colours.onAccent}; --accent-text: ${colours.textDark}; --accent-soft: ${colours.softDark}; } }
`;
}

/**
 * Reads the deployment's branding and templates once, at boot: the logo file
 * (GATEHOUSE_BRAND_LOGO) and GATEHOUSE_TEMPLATES_DIR's files. A file that cannot be read
 * or is not acceptable is a ValidationError naming it, so `gatehouse serve` stops at once.
 */
export function loadSite(config: Pick<Config, 'productName' | 'brandAccent' | 'brandLogo' | 'termsUrl' | 'privacyUrl' | 'templatesDir'>): Site {
  const assets: SiteAssets = {};
  const site: Site = { productName: config.productName, templates: {}, assets };
  if (config.brandLogo) {
    let data: Buffer;
    try {
      data = readFileSync(config.brandLogo);
    } catch (error) {
      throw new ValidationError(`invalid configuration: GATEHOUSE_BRAND_LOGO "${config.brandLogo}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const logo = checkLogo(data, `invalid configuration: GATEHOUSE_BRAND_LOGO "${config.brandLogo}"`);
    assets.logo = { ...logo, etag: entityTag(logo.data) };
    site.logoUrl = `${SITE_LOGO_PATH}?v=${assets.logo.etag.slice(1, 9)}`;
  }
  if (config.brandAccent) {
    const css = accentStylesheet(config.brandAccent);
    assets.brandStylesheet = { css, etag: entityTag(css) };
    site.brandStylesheetUrl = `${BRAND_STYLESHEET_PATH}?v=${assets.brandStylesheet.etag.slice(1, 9)}`;
  }
  if (config.termsUrl) site.termsUrl = config.termsUrl;
  if (config.privacyUrl) site.privacyUrl = config.privacyUrl;
  if (config.templatesDir) {
    const dir = config.templatesDir;
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw new ValidationError(`invalid configuration: GATEHOUSE_TEMPLATES_DIR "${dir}" is not a readable directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const header = readTemplateFile(dir, TEMPLATE_FILES.header);
    if (header !== undefined) site.templates.header = compileTemplate(header, join(dir, TEMPLATE_FILES.header));
    const footer = readTemplateFile(dir, TEMPLATE_FILES.footer);
    if (footer !== undefined) site.templates.footer = compileTemplate(footer, join(dir, TEMPLATE_FILES.footer));
    const css = readTemplateFile(dir, TEMPLATE_FILES.stylesheet);
    if (css !== undefined) {
      assets.customStylesheet = { css, etag: entityTag(css) };
      site.customStylesheetUrl = `${CUSTOM_STYLESHEET_PATH}?v=${assets.customStylesheet.etag.slice(1, 9)}`;
    }
  }
  return site;
}
