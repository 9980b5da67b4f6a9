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
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AccessTokenClaims, Verifier } from '@gatehouse-auth/resource';
import { isLoopbackIssuer } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import type { Storage } from '../core/storage.js';
import type { Gatehouse } from './context.js';
import { createInProcessVerifier } from './resource-adapters.js';

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

export interface MountOptions {
  /** Where the example reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Loads the example (tests replace it); default: import(DOCUMENT_API_PACKAGE). */
  load?: () => Promise<unknown>;
}

/**
 * Mounts the demo document API on `app` when it is wanted and installed; returns whether
 * it did. Registered encapsulated: its token check, multipart parser and error handler
 * stay off the OAuth routes.
 */
export async function mountDocumentApi(app: FastifyInstance, gatehouse: Pick<Gatehouse, 'config' | 'keys' | 'storage'>, options: MountOptions = {}): Promise<boolean> {
  const { config, storage } = gatehouse;
  const env = options.env ?? process.env;
  if (!mayBeWanted(env.GATEHOUSE_DEMO_API, config.issuer)) return false;
  const example = await loadExample(options.load ?? (() => import(DOCUMENT_API_PACKAGE)), app.log, env.GATEHOUSE_DEMO_API !== undefined);
  if (!example) return false;
  let settings;
  try {
    settings = example.readDocumentApiSettings(env, config.issuer);
  } catch (error) {
    throw new ValidationError((error as Error).message);
  }
  if (!settings.enabled) return false;
  const verifier = createInProcessVerifier({
    config,
    keys: gatehouse.keys,
    revocations: storage.revocations,
    onError: (error) => app.log.warn({ err: error }, 'demo API: reading signing keys or the revocation feed failed'),
  });
  app.addHook('onClose', () => verifier.close());
  const host: DocumentApiHostShape = { verifier, tenantsOf: tenantsOfToken(storage), issuer: config.issuer, dataDir: config.dataDir };
  await app.register(example.documentApi, { host, settings });
  return true;
}

/** The example's own rule, as far as the server must know it to skip loading it: off when unset for a public issuer, or set to false. */
function mayBeWanted(switchValue: string | undefined, issuer: string): boolean {
  if (switchValue === undefined || switchValue === '') return isLoopbackIssuer(issuer);
  return !/^(0|false|no|off)$/i.test(switchValue.trim());
}

async function loadExample(load: () => Promise<unknown>, log: FastifyBaseLogger, askedFor: boolean): Promise<DocumentApiModule | undefined> {
  try {
    return (await load()) as DocumentApiModule;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    // Only the package itself missing; a broken example (a module of it missing) is an error.
    if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string' || !/Cannot find package/.test(message)) throw error;
    const line = `the demo document API is not installed (${DOCUMENT_API_PACKAGE}): serving without /api`;
    if (askedFor) log.warn(line);
    else log.info(line);
    return undefined;
  }
}

/**
 * The tenants a verified token may act for: a tenant token its tenant; a tenant-free
 * token of a user (from a grant) the tenants the user granted; one of a client, the
 * client's tenant. Only tenants that exist, with their names.
 */
export function tenantsOfToken(storage: Pick<Storage, 'tenants' | 'grants' | 'clients'>): (claims: AccessTokenClaims) => Promise<{ slug: string; name: string }[]> {
  return async (claims) => {
    const grantId = (claims as { grant_id?: unknown }).grant_id;
    const slugs =
      claims.tenant !== undefined
        ? [claims.tenant]
        : typeof grantId === 'string'
          ? ((await storage.grants.findGrant(grantId))?.tenants ?? [])
          : [(await storage.clients.findClient(claims.client_id))?.tenantSlug].filter((slug): slug is string => slug !== undefined);
    const tenants = await Promise.all(slugs.map((slug) => storage.tenants.findTenantBySlug(slug)));
    return tenants.filter((tenant) => tenant !== undefined).map((tenant) => ({ slug: tenant.slug, name: tenant.name }));
  };
}
