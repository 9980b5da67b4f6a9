// The rows of the `scale` scenario's bulk seeder (bench/servers/scale-seed.ts), made as the
// store makes them (a module without side effects: the seeder, and a test, use it).
import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { codeDigestKey, digestCode, generateAuthorizationCode } from '../../packages/server/src/core/authorization-codes.js';
import { newClientId } from '../../packages/server/src/core/admin/clients.js';
import { newRefreshToken } from '../../packages/server/src/core/grants/grant-tokens.js';
import { refreshTokenDigestKey } from '../../packages/server/src/core/refresh-tokens.js';
import { digestSecret, generateClientSecret } from '../../packages/server/src/core/secrets.js';
import { DEFAULT_REFRESH_SETTINGS } from '../../packages/server/src/core/storage.js';
import type { Client } from '../../packages/server/src/core/types.js';
import type { ClientsTable, GrantsTable, RefreshTokensTable } from '../../packages/server/src/store/sql/schema.js';

export const SCALE_SCOPES = 'documents:read documents:write';

/**
 * Confidential client_credentials clients of one tenant, as `gatehouse client create
 * --tenant <t> --scope "documents:read documents:write" --default-scope documents:read`
 * stores them: a fresh secret each, stored as its HMAC digest. Client number `chosen`
 * (in writing order) is the one the bench presents: its id and secret are kept.
 */
export function clientRows(options: { tenantId: string; digestKey: Buffer; count: number; chosen: number; now: number }) {
  const chosen = { id: '', secret: '' };
  return {
    chosen,
    make(from: number, to: number): Insertable<ClientsTable>[] {
      const rows: Insertable<ClientsTable>[] = [];
      for (let i = from; i < to; i++) {
        const id = newClientId();
        const secret = generateClientSecret();
        if (i === options.chosen) Object.assign(chosen, { id, secret });
        rows.push({
          id,
          tenant_id: options.tenantId,
          name: `client ${i}`,
          is_public: 0,
          secret_digest: digestSecret(secret, options.digestKey),
          previous_secret_digest: null,
          previous_secret_expires_at: null,
          grant_types: 'client_credentials',
          scopes: SCALE_SCOPES,
          default_scopes: 'documents:read',
          redirect_uris: '[]',
          access_token_ttl: null,
          disabled: 0,
          revocation_epoch: 0,
          resource_server: 0,
          epoch_revision: 0,
          refresh_idle_ttl: DEFAULT_REFRESH_SETTINGS.refreshIdleTtl,
          refresh_absolute_ttl: DEFAULT_REFRESH_SETTINGS.refreshAbsoluteTtl,
          refresh_grace: DEFAULT_REFRESH_SETTINGS.refreshGraceSeconds,
          created_at: options.now,
          updated_at: options.now,
          deleted_at: null,
        });
      }
      return rows;
    },
  };
}

/**
 * Live grants of one client and user, as a code exchange stores them (scope
 * documents:read, tenant acme, the code's digest), each with its first refresh token
 * (newRefreshToken: a fresh token kept as its digest). The tokens themselves are dropped:
 * these grants are the database's weight, never presented. `sample` is the last one made,
 * with its token, for EXPLAIN and tests.
 */
export function grantRows(options: { client: Pick<Client, 'id' | 'refreshIdleTtl' | 'refreshAbsoluteTtl'>; userId: string; masterKey: Buffer; now: number }) {
  const codeKey = codeDigestKey(options.masterKey);
  const refreshKey = refreshTokenDigestKey(options.masterKey);
  const { client, userId, now } = options;
  const absoluteExpiresAt = now + client.refreshAbsoluteTtl * 1000;
  const sample = { grantId: '', tokenDigest: '', token: '' };
  return {
    sample,
    make(count: number): { grants: Insertable<GrantsTable>[]; refreshTokens: Insertable<RefreshTokensTable>[] } {
      const grants: Insertable<GrantsTable>[] = [];
      const refreshTokens: Insertable<RefreshTokensTable>[] = [];
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        grants.push({
          id,
          client_id: client.id,
          user_id: userId,
          code_digest: digestCode(generateAuthorizationCode(), codeKey),
          scope: 'documents:read',
          tenants: 'acme',
          created_at: now,
          absolute_expires_at: absoluteExpiresAt,
          revoked_at: null,
          revision: 0,
          last_used_at: now,
        });
        const issued = newRefreshToken(client, { absoluteExpiresAt }, { refreshTokenDigestKey: refreshKey }, now);
        refreshTokens.push({
          id: issued.stored.id,
          token_digest: issued.stored.tokenDigest,
          grant_id: id,
          client_id: client.id,
          created_at: now,
          idle_expires_at: issued.stored.idleExpiresAt,
          rotated_at: null,
          replaced_by: null,
        });
        if (i === count - 1) Object.assign(sample, { grantId: id, tokenDigest: issued.stored.tokenDigest, token: issued.token });
      }
      return { grants, refreshTokens };
    },
  };
}
