/**
 * The document API's settings, read from the environment (examples/document-api/README.md):
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `GATEHOUSE_DEMO_API` | on for a loopback issuer, off otherwise | `true`/`false` decide explicitly |
 * | `GATEHOUSE_DEMO_MAX_UPLOAD_BYTES` | `10485760` (10 MiB) | largest upload; a larger one gets 413 and leaves nothing behind |
 */

export interface DocumentApiSettings {
  /** Whether the API is served at all. */
  enabled: boolean;
  /** Largest file accepted, in bytes. */
  maxUploadBytes: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** A setting of the document API has an invalid value. */
export class DocumentApiSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentApiSettingsError';
  }
}

/**
 * The settings for a server whose issuer is `issuer`. Off by default unless the issuer is
 * on loopback (development), so a production server never hosts uploads by accident.
 * Throws DocumentApiSettingsError naming the variable when a value is invalid.
 */
export function readDocumentApiSettings(env: Record<string, string | undefined>, issuer: string): DocumentApiSettings {
  const enabled = env.GATEHOUSE_DEMO_API;
  const maxUploadBytes = env.GATEHOUSE_DEMO_MAX_UPLOAD_BYTES;
  return {
    enabled: enabled === undefined || enabled === '' ? isLoopbackIssuer(issuer) : parseSwitch('GATEHOUSE_DEMO_API', enabled),
    maxUploadBytes: maxUploadBytes === undefined || maxUploadBytes === '' ? DEFAULT_MAX_UPLOAD_BYTES : parseByteCount('GATEHOUSE_DEMO_MAX_UPLOAD_BYTES', maxUploadBytes),
  };
}

function parseSwitch(variable: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
  if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
  throw new DocumentApiSettingsError(`invalid configuration: ${variable} "${raw}": use true or false`);
}

function parseByteCount(variable: string, raw: string): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new DocumentApiSettingsError(`invalid configuration: ${variable} "${raw}": give a number of bytes, at least 1`);
  return value;
}

/** Whether the issuer's host is a loopback address (a development setup). */
export function isLoopbackIssuer(issuer: string): boolean {
  const host = new URL(issuer).hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
