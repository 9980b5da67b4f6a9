import { Command, CommanderError } from 'commander';
import { unknownEnvironmentVariables } from '../core/config.js';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError } from '../core/errors.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBackupCommand } from './commands/backup.js';
import { registerClientCommands } from './commands/client.js';
import { registerGrantCommands } from './commands/grant.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerScopeCommands } from './commands/scope.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTenantCommands } from './commands/tenant.js';
import { registerUserCommands } from './commands/user.js';
import { exitCodeOf } from './exit-codes.js';
import { processIo, type Io } from './io.js';
import { readPackageVersion } from './version.js';

export type { Io } from './io.js';

/** The `gatehouse` program: one file per command group under commands/, each parsing its flags and calling one service. */
export function buildCli(io: Io = processIo): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: OAuth 2.0 authorization server for document APIs')
    .version(readPackageVersion(), '-V, --version', 'print the version of gatehouse')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });
  // A misspelt GATEHOUSE_* variable silently leaves a default in force: say so (serve
  // logs it as a warning instead, among its JSON log lines).
  program.hook('preAction', (_program, command) => {
    if (command.name() === 'serve') return;
    for (const unknown of unknownEnvironmentVariables(io.env ?? process.env)) io.err(`warning: ${unknown.message}`);
  });
  registerServeCommand(program, io);
  registerMigrateCommand(program, io);
  registerBackupCommand(program, io);
  registerTenantCommands(program, io);
  registerClientCommands(program, io);
  registerUserCommands(program, io);
  registerGrantCommands(program, io);
  registerScopeCommands(program, io);
  registerKeysCommands(program, io);
  registerAuditCommands(program, io);
  registerAdminCommands(program, io);
  return program;
}

/**
 * Runs the CLI (`argv` as process.argv: node, script, then the arguments); resolves to
 * the exit code (exit-codes.ts: 1 invalid input, 2 usage, 3 not found, 4 conflict,
 * 5 storage unavailable). Errors print one line on stderr, never a stack trace.
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // commander has already printed its own message (and the usage hint).
    if (!(error instanceof CommanderError)) io.err(`error: ${describeError(error)}`);
    return exitCodeOf(error);
  }
}

function describeError(error: unknown): string {
  if (error instanceof ValidationError || error instanceof NotFoundError || error instanceof ConflictError) return error.message;
  if (error instanceof StorageUnavailableError) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    return `the database is unavailable (${cause})`;
  }
  return error instanceof Error ? error.message : String(error);
}

