/**
 * `@gatehouse-auth/server`: the Gatehouse authorization server, for an application that
 * embeds it instead of running the `gatehouse` CLI.
 *
 * ```ts
 * import { loadConfig, startServer } from '@gatehouse-auth/server';
 * const server = await startServer(loadConfig({ port: 8080, databaseUrl: 'sqlite:./data/gatehouse.db' }));
 * // … later
 * await server.close();
 * ```
 *
 * The server's internals (storage, keys, the master key) stay inside: an embedding
 * application gets the Fastify instance, the address and `close()`.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './core/config.js';
import { startServer as start, type StartServerOptions } from './server/serve.js';

export { configFromEnv, loadConfig, type Config, type ConfigInput } from './core/config.js';
export { ConflictError, NotFoundError, OAuthError, StorageUnavailableError, ValidationError } from './core/errors.js';
export type { OAuthErrorCode, OAuthErrorOptions } from './core/errors.js';
export { main as runCli, type Io } from './cli/main.js';
export type { StartServerOptions } from './server/serve.js';

/** A running Gatehouse, as an embedding application sees it. */
export interface GatehouseServer {
  /** The Fastify instance (for `inject` in tests, or to add routes before traffic arrives). */
  readonly app: FastifyInstance;
  /** The address actually bound (useful with port 0). */
  readonly url: string;
  /** Stops accepting requests, answers those in flight, then closes the database. */
  close(): Promise<void>;
}

/**
 * Opens (and on first start creates) the database, master key and first signing key, then
 * listens: what `gatehouse serve` does, without the signal handling.
 */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<GatehouseServer> {
  const server = await start(config, options);
  return { app: server.app, url: server.url, close: server.close };
}
