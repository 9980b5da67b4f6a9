// Seeds single-use credentials for the `grants` scenario of bench/run.ts: authorization
// codes and refresh tokens, each good for exactly one token request. It runs in a process
// of its own (spawned by the harness with an IPC channel) on the bench server's database,
// between rounds, so that neither the seeding time nor its memory counts against the server.
//
// The rows are made by the core functions that make them in the server
// (generateAuthorizationCode/digestCode as the authorization endpoint does, newRefreshToken
// as the code exchange does) and written by the SQL store's own repository functions
// (codes.createCode, grants.createGrant, refreshTokens.createRefreshToken) on the same SQLite
// file (WAL lets a second process write, as the CLI does), or the same PostgreSQL database
// (BENCH_DATABASE_URL): the server finds exactly what it
// would have stored itself. The repositories take the db handle, so a batch of rows shares
// one transaction: through the Storage methods (one transaction per row) seeding ran at
// about 6 500 codes/s and 2 500 refresh tokens/s; batched, about three times as fast.
//
// Environment: BENCH_DIR (the server's data dir), BENCH_CLIENT_ID, BENCH_USER_ID; BENCH_DATABASE_URL
// when the server's database is not the SQLite file in BENCH_DIR.
// Messages in: `{ kind: 'code' | 'refresh', count }`; out: `{ kind, bodies, expiresAt, ms }`
// where `bodies` are ready token request bodies (application/x-www-form-urlencoded), one
// per credential, and `expiresAt` (epoch ms) is when the first of them stops working.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { codeDigestKey, digestCode, generateAuthorizationCode } from '../../packages/server/src/core/authorization-codes.js';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { newRefreshToken } from '../../packages/server/src/core/grants/grant-tokens.js';
import { refreshTokenDigestKey } from '../../packages/server/src/core/refresh-tokens.js';
import { openGatehouse } from '../../packages/server/src/server/context.js';
import * as codes from '../../packages/server/src/store/sql/repositories/codes.js';
import * as grants from '../../packages/server/src/store/sql/repositories/grants.js';
import * as refreshTokens from '../../packages/server/src/store/sql/repositories/refresh-tokens.js';
import type { SqlStorage } from '../../packages/server/src/store/sql/index.js';
import type { Database } from '../../packages/server/src/store/sql/schema.js';
import { BENCH_TENANT, GRANTS_REDIRECT_URI } from './bench-data.js';

export interface SeedRequest {
  kind: 'code' | 'refresh';
  count: number;
}

export interface SeedReply {
  kind: 'code' | 'refresh';
  bodies: string[];
  expiresAt: number;
  ms: number;
}

/**
 * RFC 6749 §4.1.2 caps a code's life at 10 minutes (GATEHOUSE_AUTHORIZATION_CODE_TTL: 60 s by
 * default, 10 minutes at most): seeded codes live the longest a code may, since a pool may
 * wait through other contestants' rounds; older ones are dropped by the harness.
 */
const CODE_LIFETIME_MS = 10 * 60 * 1000;
/** Credentials written per transaction. */
const BATCH = 1000;

const dir = process.env.BENCH_DIR;
const clientId = process.env.BENCH_CLIENT_ID;
const userId = process.env.BENCH_USER_ID;
if (!dir || !clientId || !userId || !process.send) throw new Error('grants-seeder.ts runs as a child of bench/run.ts (BENCH_DIR, BENCH_CLIENT_ID, BENCH_USER_ID, IPC)');

const config = loadConfig({ databaseUrl: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'gatehouse.db')}`, dataDir: dir, logLevel: 'warn' });
// `if-fresh`: the server migrated the database already; never change it behind its back.
const gatehouse = await openGatehouse(config, { migrate: 'if-fresh' });
const storage = gatehouse.storage as SqlStorage;
if (!('db' in storage)) throw new Error('grants-seeder.ts expects the SQL storage');
const client = await storage.clients.findClient(clientId);
if (!client) throw new Error(`no client ${clientId} in ${dir}`);
const codeKey = codeDigestKey(gatehouse.masterKey.key);
const refreshKey = refreshTokenDigestKey(gatehouse.masterKey.key);
const scope = ['documents:read'];

/** An authorization code as the authorization endpoint stores it (PKCE S256), and the exchange request that redeems it. */
async function seedCode(db: Kysely<Database>, now: number): Promise<string> {
  const code = generateAuthorizationCode();
  const verifier = randomBytes(32).toString('base64url');
  await codes.createCode(db, {
    codeDigest: digestCode(code, codeKey),
    clientId: client!.id,
    userId: userId!,
    redirectUri: GRANTS_REDIRECT_URI,
    scope,
    tenants: [BENCH_TENANT],
    codeChallenge: createHash('sha256').update(verifier, 'ascii').digest('base64url'),
    codeChallengeMethod: 'S256',
    authTime: now,
    expiresAt: now + CODE_LIFETIME_MS,
  });
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: GRANTS_REDIRECT_URI, code_verifier: verifier, tenant: BENCH_TENANT }).toString();
}

/**
 * A grant as a code exchange creates it, with its first refresh token, and the refresh
 * request that rotates that token. Each grant is refreshed once (its first rotation): the
 * bench measures a refresh token lookup plus a rotation write, the common case; a long
 * chain of rotations of one family would serialise on one client connection instead.
 */
async function seedRefreshToken(db: Kysely<Database>, now: number): Promise<string> {
  const grant = await grants.createGrant(db, {
    id: randomUUID(),
    clientId: client!.id,
    userId: userId!,
    // The code this grant was exchanged from (already pruned, as after 10 minutes).
    codeDigest: digestCode(generateAuthorizationCode(), codeKey),
    scope,
    tenants: [BENCH_TENANT],
    createdAt: now,
    absoluteExpiresAt: now + client!.refreshAbsoluteTtl * 1000,
  });
  const issued = newRefreshToken(client!, grant, { refreshTokenDigestKey: refreshKey }, now);
  await refreshTokens.createRefreshToken(db, { ...issued.stored, grantId: grant.id, clientId: client!.id, createdAt: now });
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: issued.token, tenant: BENCH_TENANT }).toString();
}

async function seed({ kind, count }: SeedRequest): Promise<SeedReply> {
  const started = performance.now();
  const now = Date.now();
  const make = kind === 'code' ? seedCode : seedRefreshToken;
  const bodies: string[] = [];
  while (bodies.length < count) {
    const size = Math.min(BATCH, count - bodies.length);
    await storage.db.transaction().execute(async (trx) => {
      for (let i = 0; i < size; i++) bodies.push(await make(trx, now));
    });
  }
  const expiresAt = kind === 'code' ? now + CODE_LIFETIME_MS : Math.min(now + client!.refreshIdleTtl * 1000, now + client!.refreshAbsoluteTtl * 1000);
  return { kind, bodies, expiresAt, ms: performance.now() - started };
}

process.on('message', (message: SeedRequest) => {
  seed(message).then(
    (reply) => process.send!(reply),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => {
  void gatehouse.close().then(() => process.exit(0));
});
process.send({ ready: true });
