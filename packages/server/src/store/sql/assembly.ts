/** The assembly: openSqlStorage builds the Storage from a connection, the repositories and the guard. */
import { sql, type Kysely } from 'kysely';
import { ConflictError } from '../../core/errors.js';
import type { Storage } from '../../core/storage.js';
import { ClientCache } from './client-cache.js';
import { clientsRevisionReader, dataVersionReader, openConnection, type Dialect, type SqlStorageOptions } from './connection.js';
import { guarded } from './guard.js';
import { migrateToLatest, readMigrationStatus } from './migrate.js';
import * as adminAccounts from './repositories/admin-accounts.js';
import * as audit from './repositories/audit.js';
import * as clients from './repositories/clients.js';
import { createGrantWithFirstRefreshToken } from './repositories/code-exchange.js';
import * as codes from './repositories/codes.js';
import * as consents from './repositories/consents.js';
import * as grants from './repositories/grants.js';
import * as keys from './repositories/keys.js';
import * as refreshTokens from './repositories/refresh-tokens.js';
import * as revocations from './repositories/revocations.js';
import * as scopes from './repositories/scopes.js';
import * as sessions from './repositories/sessions.js';
import * as settings from './repositories/settings.js';
import * as tenants from './repositories/tenants.js';
import * as users from './repositories/users.js';
import type { Database } from './schema.js';

export interface SqlStorage extends Storage {
  readonly dialect: Dialect;
  /** The Kysely handle, for tests and migrations tooling. */
  readonly db: Kysely<Database>;
}

/** Opens the storage named by `url` (a SQLite file and its directory are created at once). */
export function openSqlStorage(url: string, options: SqlStorageOptions = {}): SqlStorage {
  const { db, dialect, sqlite, pool } = openConnection(url, options);
  const clock = options.clock ?? Date.now;
  let closed = false;
  // Exact on both dialects: SQLite's data_version, PostgreSQL's clients revision (client-cache.ts).
  const clientCache = new ClientCache(sqlite ? dataVersionReader(sqlite) : clientsRevisionReader(pool!, clients.CLIENTS_REVISION_SQL));
  /**
   * A change to what findClient answers (a client, or its tenant's slug, lifetime or
   * disabled flag), in one transaction that first bumps the clients revision (other
   * processes' caches see it); this process's cache forgets before and after it.
   */
  const writingClients = async <T>(write: (trx: Kysely<Database>) => Promise<T>): Promise<T> => {
    clientCache.invalidate();
    try {
      return await db.transaction().execute(async (trx) => {
        await clients.bumpClientsRevision(trx);
        return write(trx);
      });
    } finally {
      clientCache.invalidate();
    }
  };
  return {
    dialect,
    db,
    tenants: guarded({
      createTenant: (input) => tenants.createTenant(db, input, clock()),
      findTenantBySlug: (slug) => tenants.findTenantBySlug(db, slug),
      listTenants: () => tenants.listTenants(db),
      // Through writingClients: a client record carries its tenant's lifetime and disabled flag.
      updateTenant: async (slug, change) => ((await writingClients((trx) => tenants.updateTenant(trx, slug, change))) ? tenants.findTenantBySlug(db, slug) : undefined),
      setTenantDisabled: async (slug, disabled) => ((await writingClients((trx) => tenants.setTenantDisabled(trx, slug, disabled, clock()))) ? tenants.findTenantBySlug(db, slug) : undefined),
      setTenantBranding: async (slug, change) => ((await tenants.setTenantBranding(db, slug, change)) ? tenants.findTenantBySlug(db, slug) : undefined),
      findTenantLogo: (slug) => tenants.findTenantLogo(db, slug),
    }),
    users: guarded({
      createUser: async (input) => {
        const id = await db.transaction().execute((trx) => users.createUser(trx, input, clock()));
        return (await users.findUser(db, id))!;
      },
      findUser: (userId) => users.findUser(db, userId),
      findUserByUsername: (username) => users.findUserByUsername(db, username),
      addUserToTenant: (userId, tenantId) => users.addUserToTenant(db, userId, tenantId, clock()),
      listUsers: (tenantId) => users.listUsers(db, tenantId),
      removeUserFromTenant: (userId, tenantId) => db.transaction().execute((trx) => users.removeUserFromTenant(trx, userId, tenantId)),
      setPassword: async (userId, passwordHash) => ((await users.setPassword(db, userId, passwordHash, clock())) ? users.findUser(db, userId) : undefined),
      setDisabled: async (userId, disabled) => ((await users.setDisabled(db, userId, disabled, clock())) ? users.findUser(db, userId) : undefined),
      deleteUser: (userId) => db.transaction().execute((trx) => users.deleteUser(trx, userId)),
    }),
    clients: guarded({
      createClient: async (input) => {
        await writingClients((trx) => clients.createClient(trx, input, clock()));
        return (await clients.findClient(db, input.id))!;
      },
      findClient: (clientId) => clientCache.find(clientId, (id) => clients.findClient(db, id)),
      listClients: (tenantId) => clients.listClients(db, tenantId),
      listOperatorClients: () => clients.listOperatorClients(db),
      updateClientSecret: async (clientId, change) => {
        const outcome = await writingClients(async (trx) => {
          const result = await clients.updateClientSecret(trx, clientId, change, clock());
          // Thrown inside the transaction: the revision bumps roll back with it.
          if (result === 'changed') throw new ConflictError(`the secret of client ${clientId} was changed by another operation at the same time; run the command again`);
          return result;
        });
        return outcome === 'updated' ? clients.findClient(db, clientId) : undefined;
      },
      setClientDisabled: async (clientId, disabled) =>
        (await writingClients((trx) => clients.setClientDisabled(trx, clientId, disabled, clock()))) ? clients.findClient(db, clientId) : undefined,
      updateClient: async (clientId, settings) =>
        (await writingClients((trx) => clients.updateClient(trx, clientId, settings, clock()))) ? clients.findClient(db, clientId) : undefined,
      deleteClient: (clientId) => writingClients((trx) => clients.deleteClient(trx, clientId, clock())),
      longestAccessTokenTtl: () => clients.longestAccessTokenTtl(db),
    }),
    scopes: guarded({
      listScopes: (tenantId) => scopes.listScopes(db, tenantId),
      listScopeNames: () => scopes.listScopeNames(db),
      upsertScope: (tenantId, name, description) => scopes.upsertScope(db, tenantId, name, description, clock()),
      deleteScope: (tenantId, name) => scopes.deleteScope(db, tenantId, name),
    }),
    keys: guarded({
      listPublishedKeys: (retiredAfter) => keys.listPublishedKeys(db, retiredAfter),
      activateKey: (key, now) => db.transaction().execute((trx) => keys.activateKey(trx, key, now, dialect)),
      withdrawKey: (kid, now) => db.transaction().execute((trx) => keys.withdrawKey(trx, kid, now)),
    }),
    settings: guarded({
      getSetting: (name) => settings.getSetting(db, name),
      putSettingIfAbsent: (name, value) => settings.putSettingIfAbsent(db, name, value),
    }),
    revocations: guarded({
      revokeAccessToken: (entry) => db.transaction().execute((trx) => revocations.revokeAccessToken(trx, entry)),
      isAccessTokenRevoked: (jti) => revocations.isAccessTokenRevoked(db, jti),
      pruneRevokedAccessTokens: (nowSeconds) => revocations.pruneRevokedAccessTokens(db, nowSeconds),
      readChanges: (since, notExpiredBefore) => revocations.readChanges(db, since, notExpiredBefore),
    }),
    // --- Authorization codes, grants and refresh tokens (issue 4) ---
    codes: guarded({
      createCode: (input) => codes.createCode(db, input),
      consumeCode: (codeDigest, now) => codes.consumeCode(db, codeDigest, now),
      pruneExpired: (now) => codes.pruneExpiredCodes(db, now),
    }),
    grants: guarded({
      createGrant: (input) => db.transaction().execute((trx) => createGrantWithFirstRefreshToken(trx, input)),
      findGrant: (id) => grants.findGrant(db, id),
      listGrantsOfUser: (userId) => grants.listGrantsOfUser(db, userId),
      revokeGrant: async (id, now) => {
        await db.transaction().execute((trx) => grants.revokeGrant(trx, id, now)).catch(grants.ignoreNothingRevoked);
        return grants.findGrant(db, id);
      },
      revokeGrantByCode: async (codeDigest, now) => {
        await db.transaction().execute((trx) => grants.revokeGrantByCode(trx, codeDigest, now)).catch(grants.ignoreNothingRevoked);
        return grants.findGrantByCode(db, codeDigest);
      },
      revokeGrantsOfUser: async (userId, now) => {
        try {
          return await db.transaction().execute((trx) => grants.revokeGrantsOfUser(trx, userId, now));
        } catch (error) {
          grants.ignoreNothingRevoked(error);
          return 0;
        }
      },
      revokeGrantsOfUserInTenant: async (userId, tenantSlug, now) => {
        try {
          return await db.transaction().execute((trx) => grants.revokeGrantsOfUserInTenant(trx, userId, tenantSlug, now));
        } catch (error) {
          grants.ignoreNothingRevoked(error);
          return 0;
        }
      },
    }),
    refreshTokens: guarded({
      createRefreshToken: (input) => refreshTokens.createRefreshToken(db, input),
      findRefreshToken: (tokenDigest) => refreshTokens.findRefreshToken(db, tokenDigest),
      rotateRefreshToken: (rotation) => db.transaction().execute((trx) => refreshTokens.rotateRefreshToken(trx, rotation)),
      pruneExpired: (now) => refreshTokens.pruneExpiredRefreshTokens(db, now),
    }),
    // --- end of codes, grants and refresh tokens ---
    consents: guarded({
      findConsent: (userId, clientId) => consents.findConsent(db, userId, clientId),
      saveConsent: (input) => consents.saveConsent(db, input, clock()),
      deleteConsent: (userId, clientId) => consents.deleteConsent(db, userId, clientId),
      removeTenantFromConsents: (userId, tenantSlug) => db.transaction().execute((trx) => consents.removeTenantFromConsents(trx, userId, tenantSlug, clock())),
    }),
    audit: guarded({
      appendAuditEvent: (event) => audit.appendAuditEvent(db, event),
      listAuditEvents: (query) => audit.listAuditEvents(db, query),
      pruneAuditEvents: (before) => audit.pruneAuditEvents(db, before),
    }),
    adminAccounts: guarded({
      createAdminAccount: async (input) => (await adminAccounts.findAdminAccount(db, await adminAccounts.createAdminAccount(db, input, clock())))!,
      findAdminAccount: (id) => adminAccounts.findAdminAccount(db, id),
      findAdminAccountByUsername: (username) => adminAccounts.findAdminAccountByUsername(db, username),
      listAdminAccounts: (filter) => adminAccounts.listAdminAccounts(db, filter),
      hasOperator: () => adminAccounts.hasOperator(db),
      deleteAdminAccount: (id) => db.transaction().execute((trx) => adminAccounts.deleteAdminAccount(trx, id)),
      setAdminPassword: async (id, passwordHash) => ((await adminAccounts.setAdminPassword(db, id, passwordHash, clock())) ? adminAccounts.findAdminAccount(db, id) : undefined),
      setAdminDisabled: async (id, disabled) => ((await adminAccounts.setAdminDisabled(db, id, disabled, clock())) ? adminAccounts.findAdminAccount(db, id) : undefined),
      enableAdminMfa: async (id, sealed, usedStep, digests) =>
        (await db.transaction().execute((trx) => adminAccounts.enableAdminMfa(trx, id, sealed, usedStep, digests, clock()))) ? adminAccounts.findAdminAccount(db, id) : undefined,
      disableAdminMfa: async (id) => ((await db.transaction().execute((trx) => adminAccounts.disableAdminMfa(trx, id, clock()))) ? adminAccounts.findAdminAccount(db, id) : undefined),
      useTotpStep: (id, step) => adminAccounts.useTotpStep(db, id, step),
      useRecoveryCode: (id, digest) => adminAccounts.useRecoveryCode(db, id, digest),
      recordAdminSignIn: (id, at) => adminAccounts.recordAdminSignIn(db, id, at),
    }),
    sessions: guarded({
      createSession: (input) => sessions.createSession(db, input),
      findSession: (tokenDigest, now) => sessions.findSession(db, tokenDigest, now),
      touchSession: (id, now, idleMs) => sessions.touchSession(db, id, now, idleMs),
      endSession: (id) => sessions.endSession(db, id),
      endSessionsOf: (kind, subjectId, exceptId) => sessions.endSessionsOf(db, kind, subjectId, exceptId),
      pruneExpired: (now) => sessions.pruneExpiredSessions(db, now),
    }),
    ...guarded({
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      migrate: () => migrateToLatest(db, sqlite),
      migrationStatus: () => readMigrationStatus(db),
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
