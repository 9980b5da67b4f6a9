import type { Command } from 'commander';
import { dbOption, jsonOption, withGatehouse, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

export function registerMigrateCommand(program: Command, io: Io): void {
  program
    .command('migrate')
    .description('create the database if it does not exist, and apply pending migrations')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: OutputOptions) => {
      const applied = await withGatehouse(io, options, async (g) => g.migrationsApplied, 'always');
      if (options.json) io.out(JSON.stringify({ applied }));
      else io.out(applied.length === 0 ? 'database schema is up to date' : `applied migrations: ${applied.join(', ')}`);
    });
}
