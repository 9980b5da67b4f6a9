import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-23T00-00-initial.js';

/** Every migration, by its frozen, time-ordered name. Adding one: a file and a line here. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-23T00-00-initial': initial,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
