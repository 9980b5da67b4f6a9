import type { Command } from 'commander';
import { dbOption, withGatehouse, type DatabaseOptions } from '../command.js';
import type { Io } from '../io.js';

export function registerMigrateCommand(program: Command, io: Io): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .addOption(dbOption())
    .action(async (options: DatabaseOptions) => {
      const applied = await withGatehouse(io, options, async (g) => g.migrationsApplied, 'always');
      io.out(applied.length === 0 ? 'database schema is up to date' : `applied migrations: ${applied.join(', ')}`);
    });
}
