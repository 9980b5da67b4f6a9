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
 */
export { configFromEnv, loadConfig, type Config, type ConfigInput } from './core/config.js';
export { ConflictError, NotFoundError, OAuthError, StorageUnavailableError, ValidationError } from './core/errors.js';
export type { OAuthErrorCode, OAuthErrorOptions } from './core/errors.js';
export { buildApp, type BuildAppOptions } from './server/app.js';
export { openGatehouse, type Gatehouse, type OpenOptions } from './server/context.js';
export { startServer, type RunningServer } from './server/serve.js';
export { main as runCli, type Io } from './cli/main.js';
