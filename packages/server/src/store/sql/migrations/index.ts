import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-23T00-00-initial.js';
import * as revocationFeed from './2026-11-23T02-00-revocation-feed.js';
import * as demoFiles from './2026-11-23T03-00-demo-files.js';
import * as users from './2026-11-23T04-00-users.js';
import * as codesAndRefreshTokens from './2026-11-23T05-00-codes-and-refresh-tokens.js';
import * as clientRefreshSettings from './2026-11-23T06-00-client-refresh-settings.js';
import * as consents from './2026-11-23T07-00-consents.js';
import * as dropDemoFiles from './2026-12-07T00-00-drop-demo-files.js';
import * as auditEvents from './2026-12-07T20-00-audit-events.js';
import * as adminOperations from './2026-12-07T21-00-admin-operations.js';
import * as operatorClients from './2026-12-08T00-00-operator-clients.js';
import * as adminAccounts from './2026-12-08T01-00-admin-accounts.js';
import * as sessions from './2026-12-08T02-00-sessions.js';
import * as branding from './2026-12-08T03-00-branding.js';
import * as clientRevision from './2026-12-08T04-00-client-revision.js';
import * as hotPathIndexes from './2026-12-08T05-00-hot-path-indexes.js';

/** Every migration, by its frozen, time-ordered name. Adding one: a file and a line here. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-23T00-00-initial': initial,
  '2026-11-23T02-00-revocation-feed': revocationFeed,
  '2026-11-23T03-00-demo-files': demoFiles,
  '2026-11-23T04-00-users': users,
  '2026-11-23T05-00-codes-and-refresh-tokens': codesAndRefreshTokens,
  '2026-11-23T06-00-client-refresh-settings': clientRefreshSettings,
  '2026-11-23T07-00-consents': consents,
  '2026-12-07T00-00-drop-demo-files': dropDemoFiles,
  '2026-12-07T20-00-audit-events': auditEvents,
  '2026-12-07T21-00-admin-operations': adminOperations,
  '2026-12-08T00-00-operator-clients': operatorClients,
  '2026-12-08T01-00-admin-accounts': adminAccounts,
  '2026-12-08T02-00-sessions': sessions,
  '2026-12-08T03-00-branding': branding,
  '2026-12-08T04-00-client-revision': clientRevision,
  '2026-12-08T05-00-hot-path-indexes': hotPathIndexes,
};

/** Every migration name, in order (for tooling and tests). */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
