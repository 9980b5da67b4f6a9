import type { Command } from 'commander';
import { unknownEnvironmentVariables, type Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { startServer } from '../../server/serve.js';
import { configFor, dbOption } from '../command.js';
import type { Io } from '../io.js';

export interface ServeOptions {
  port?: string;
  host?: string;
  issuer?: string;
  managementPort?: string;
  managementHost?: string;
  db?: string;
}

/** The configuration `gatehouse serve` starts with: the environment, then --db, then its flags. */
export function serveConfig(io: Io, options: ServeOptions): Config {
  for (const [flag, value] of [['--port', options.port], ['--management-port', options.managementPort]] as const) {
    if (value !== undefined && !/^\d+$/.test(value)) throw new ValidationError(`invalid ${flag} "${value}": expected an integer from 0 to 65535`);
  }
  return configFor(
    io,
    options,
    {
      ...(options.port !== undefined ? { port: Number(options.port) } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.managementPort !== undefined ? { managementPort: Number(options.managementPort) } : {}),
      ...(options.managementHost !== undefined ? { managementHost: options.managementHost } : {}),
    },
    {
      ...(options.port !== undefined ? { port: '--port' } : {}),
      ...(options.host !== undefined ? { host: '--host' } : {}),
      ...(options.issuer !== undefined ? { issuer: '--issuer' } : {}),
      ...(options.managementPort !== undefined ? { managementPort: '--management-port' } : {}),
      ...(options.managementHost !== undefined ? { managementHost: '--management-host' } : {}),
    },
  );
}

/**
 * `gatehouse serve`: runs until SIGINT or SIGTERM, then drains (docs/operations.md, "Shutdown") and exits 0.
 * It installs process signal handlers and never returns, so it is not run in-process.
 */
export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description('start the authorization server (creates and migrates the database on first start)')
    .option('--port <n>', 'TCP port; env GATEHOUSE_PORT (default 8080)')
    .option('--host <host>', 'listen address; env GATEHOUSE_HOST (default 127.0.0.1)')
    .option('--issuer <url>', 'issuer URL; env GATEHOUSE_ISSUER (default http://<host>:<port>)')
    .option('--management-port <n>', 'port of the management listener (/health/live, /health/ready, /metrics); env GATEHOUSE_MANAGEMENT_PORT (default: off; 0 = a free port)')
    .option('--management-host <host>', 'listen address of the management listener; env GATEHOUSE_MANAGEMENT_HOST (default: --host)')
    .addOption(dbOption())
    .action(async (options: ServeOptions) => {
      const config = serveConfig(io, options);
      const server = await startServer(config);
      for (const unknown of unknownEnvironmentVariables(io.env ?? process.env)) server.app.log.warn({ variable: unknown.name, suggestion: unknown.suggestion }, unknown.message);
      // SIGTERM (an orchestrator or a load balancer's host stopping us): drain for
      // shutdownDelay, then at most shutdownGrace for requests in flight. SIGINT (Ctrl-C): no
      // delay. A second signal while draining is ignored: the drain ends within its bounds.
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          server.app.log.info({ signal }, 'already shutting down');
          return;
        }
        stopping = true;
        const delayMs = signal === 'SIGTERM' ? config.shutdownDelay * 1000 : 0;
        server.shutdown({ reason: signal, delayMs, graceMs: config.shutdownGrace * 1000 }).then(
          () => process.exit(0),
          (error: unknown) => {
            server.app.log.error({ err: error }, 'gatehouse did not stop cleanly');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<void>(() => {});
    });
}
