/**
 * What `gatehouse serve` mounts beside its own routes: the demo document API, an example
 * app that lives outside the product (examples/document-api, the package
 * @gatehouse-auth/example-document-api, an optional peer dependency of the server).
 *
 * It is loaded with a dynamic import, and only when it may be wanted: GATEHOUSE_DEMO_API
 * unset with a loopback issuer (development), or set to anything but false. Then the
 * example reads its own settings (GATEHOUSE_DEMO_*, invalid values stop the server), and
 * the server hands it a DocumentApiHost: the in-process verifier (resource-adapters.ts)
 * and the tenants a token may act for. A server installed without the example (a
 * production install of the server package alone) logs one line and runs without it.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AccessTokenClaims, Verifier } from '@gatehouse-auth/resource';
import { isLoopbackIssuer } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import type { Gatehouse } from './context.js';

/** The package the server looks for (resolved from the server's own location). */
export const DOCUMENT_API_PACKAGE = '@gatehouse-auth/example-document-api';

/**
 * What the server expects of the example's entry point. Declared here rather than
 * imported, so the server builds and runs without the example; test/demo/mount.test.ts
 * checks that the example's exports satisfy it.
 */
export interface DocumentApiModule {
  readDocumentApiSettings(env: Record<string, string | undefined>, issuer: string): { enabled: boolean; maxUploadBytes: number };
  documentApi: FastifyPluginAsync<{ host: DocumentApiHostShape; settings: { enabled: boolean; maxUploadBytes: number } }>;
}

/** What the server hands the example (its DocumentApiHost). */
export interface DocumentApiHostShape {
  verifier: Verifier;
  tenantsOf(claims: AccessTokenClaims): Promise<{ slug: string; name: string }[]>;
  issuer: string;
  dataDir: string;
}

export interface PrepareOptions {
  /** Where the example reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Loads the example (tests replace it); default: import(DOCUMENT_API_PACKAGE). */
  load?: () => Promise<unknown>;
}

/** What prepareDocumentApi found: whether to mount the example, and with what. */
export type PreparedDocumentApi =
  | { kind: 'off' }
  /** Wanted but not installed; `askedFor`: GATEHOUSE_DEMO_API said so explicitly. */
  | { kind: 'not-installed'; askedFor: boolean }
  | { kind: 'ready'; example: DocumentApiModule; settings: { enabled: true; maxUploadBytes: number } };

/**
 * Decides whether the demo document API is mounted, loading the example and reading its
 * settings. `gatehouse serve` calls it before it opens the database, so an invalid
 * GATEHOUSE_DEMO_* value stops it (ValidationError naming the variable) before anything is
 * created on disk. A broken example (one of its own modules missing) is an error too.
 */
export async function prepareDocumentApi(issuer: string, options: PrepareOptions = {}): Promise<PreparedDocumentApi> {
  const env = options.env ?? process.env;
  if (!mayBeWanted(env.GATEHOUSE_DEMO_API, issuer)) return { kind: 'off' };
  const example = await loadExample(options.load ?? (() => import(DOCUMENT_API_PACKAGE)));
  if (!example) return { kind: 'not-installed', askedFor: env.GATEHOUSE_DEMO_API !== undefined };
  let settings;
  try {
    settings = example.readDocumentApiSettings(env, issuer);
  } catch (error) {
    // The example's own settings error (its message names the variable); anything else is a bug.
    if ((error as Error)?.name === 'DocumentApiSettingsError') throw new ValidationError((error as Error).message);
    throw error;
  }
  return settings.enabled ? { kind: 'ready', example, settings: { ...settings, enabled: true } } : { kind: 'off' };
}

/**
 * Mounts the demo document API on `app` as prepared; returns whether it did. Registered
 * encapsulated: its token check, multipart parser and error handler stay off the OAuth
 * routes. It verifies tokens with the Gatehouse's in-process verifier, and learns the
 * tenants a token may act for from the services.
 */
export async function mountDocumentApi(app: FastifyInstance, gatehouse: Pick<Gatehouse, 'config' | 'verifier' | 'services'>, prepared: PreparedDocumentApi): Promise<boolean> {
  if (prepared.kind === 'not-installed') {
    const line = `the demo document API is not installed (${DOCUMENT_API_PACKAGE}): serving without /api`;
    if (prepared.askedFor) app.log.warn(line);
    else app.log.info(line);
  }
  if (prepared.kind !== 'ready') return false;
  const { config, services } = gatehouse;
  const host: DocumentApiHostShape = { verifier: gatehouse.verifier(), tenantsOf: services.tenantsOfToken, issuer: config.issuer, dataDir: config.dataDir };
  await app.register(prepared.example.documentApi, { host, settings: prepared.settings });
  return true;
}

/**
 * The example's own on/off rule (examples/document-api/src/settings.ts), as far as the
 * server must know it to skip loading the example at all: off when unset for a public
 * issuer, or set to false. Repeated there because the example imports nothing of the server.
 */
function mayBeWanted(switchValue: string | undefined, issuer: string): boolean {
  if (switchValue === undefined || switchValue === '') return isLoopbackIssuer(issuer);
  return !/^(0|false|no|off)$/i.test(switchValue.trim());
}

async function loadExample(load: () => Promise<unknown>): Promise<DocumentApiModule | undefined> {
  try {
    return (await load()) as DocumentApiModule;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    // Only the package itself missing. A package the example needs, or a module of its own,
    // missing is a broken install: an error, not "not installed".
    const missing = code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`Cannot find package '${DOCUMENT_API_PACKAGE}'`);
    if (!missing) throw error;
    return undefined;
  }
}
