import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { parseDatabaseUrl } from '../../store/sql/index.js';
import { backupSqliteDatabase } from '../../store/sql/backup.js';
import { configFor, dbOption, jsonOption, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

/**
 * `gatehouse backup <file>`: a consistent copy of the SQLite database, taken while the
 * servers run (store/sql/backup.ts). PostgreSQL is backed up with its own tools
 * (docs/deploy.md, "Backups"). The master key is not in the copy, and never printed.
 */
export function registerBackupCommand(program: Command, io: Io): void {
  program
    .command('backup <file>')
    .description('write a consistent copy of the SQLite database to <file> (mode 0600) while the server runs; PostgreSQL: use pg_dump')
    .option('--force', 'replace <file> if it exists')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (file: string, options: OutputOptions & { force?: boolean }) => {
      const config = configFor(io, options);
      const target = parseDatabaseUrl(config.databaseUrl);
      if (target.dialect === 'postgres') {
        throw new ValidationError(
          'gatehouse backup copies the SQLite database; back up PostgreSQL with its own tools: pg_dump --format=custom --file=gatehouse.dump "$GATEHOUSE_DATABASE_URL", restored with pg_restore (docs/deploy.md, "Backups"), and keep a copy of the master key file',
        );
      }
      if (target.path === ':memory:') throw new ValidationError('an in-memory database cannot be backed up');
      if (!existsSync(target.path)) {
        throw new ValidationError(`no database at ${resolve(target.path)} (pass --db / GATEHOUSE_DATABASE_URL)`);
      }
      const backup = backupSqliteDatabase(target.path, file, { force: options.force === true });
      const masterKeyFile = resolve(config.masterKeyFile);
      // The copy is useless without the master key (the database checks which key it was set
      // up with), and the key must not travel with it: say where it is, never what it is.
      if (!existsSync(masterKeyFile)) {
        io.err(`warning: no master key file at ${masterKeyFile}: set GATEHOUSE_MASTER_KEY_FILE (or GATEHOUSE_DATA_DIR) as the servers do, and back that file up too`);
      }
      if (options.json) {
        io.out(JSON.stringify({ file: backup.file, bytes: backup.bytes, database: backup.database, master_key_file: masterKeyFile }));
        return;
      }
      io.out(
        [
          `backup of ${backup.database} written to ${backup.file} (${backup.bytes} bytes, mode 0600)`,
          `the master key is not in it: back up ${masterKeyFile} too, kept apart from the copy; a restore needs both (docs/deploy.md)`,
        ].join('\n'),
      );
    });
}
