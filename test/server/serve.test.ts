/** `gatehouse serve` housekeeping: the insecure-issuer warning and revocation pruning. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { startServer } from '../../packages/server/src/server/serve.js';
import { insecureIssuerWarning, pruneExpiredCodesAndRefreshTokens, pruneExpiredRevocations, REVOCATION_SKEW_SECONDS } from '../../packages/server/src/server/startup.js';
import { createClient, createTestGatehouse } from '../helpers/gatehouse.js';

/** Starts a server on a free loopback port with `issuer`, returns its log lines. */
async function startupLogs(issuer: string): Promise<{ level: number; msg: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-'));
  const lines: { level: number; msg: string }[] = [];
  const config = loadConfig({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, dataDir: dir, host: '127.0.0.1', port: 0, issuer });
  const server = await startServer(config, { logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } } });
  try {
    return lines;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('startup warning for an http issuer', () => {
  it('warns when the issuer is http on a non-loopback host, naming the RFCs and GATEHOUSE_ISSUER', async () => {
    const lines = await startupLogs('http://auth.example.com');
    const warnings = lines.filter((line) => line.level === 40 && /https/.test(line.msg));
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.match(warnings[0]!.msg, /RFC 8414 §2/);
    assert.match(warnings[0]!.msg, /RFC 6749 §3\.2/);
    assert.match(warnings[0]!.msg, /GATEHOUSE_ISSUER/);
  });

  it('does not warn for loopback http or for https', async () => {
    for (const issuer of ['http://127.0.0.1:8080', 'https://auth.example.com']) {
      const lines = await startupLogs(issuer);
      assert.equal(lines.filter((line) => line.level === 40 && /GATEHOUSE_ISSUER/.test(line.msg)).length, 0, issuer);
    }
  });

  it('treats 127.0.0.0/8, ::1 and localhost as loopback, and everything else over http as insecure', () => {
    for (const issuer of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:8080', 'http://localhost:8080', 'http://LOCALHOST', 'https://auth.example.com/tenant']) {
      assert.equal(insecureIssuerWarning(issuer), undefined, issuer);
    }
    for (const issuer of ['http://0.0.0.0:8080', 'http://10.0.0.5', 'http://[2001:db8::1]', 'http://localhost.example.com', 'http://auth.example.com']) {
      assert.ok(insecureIssuerWarning(issuer), issuer);
    }
  });
});

describe('revocation deny-list pruning', () => {
  it(`keeps entries ${REVOCATION_SKEW_SECONDS} s past the token's exp (clock skew between nodes), then prunes them`, async () => {
    const t = await createTestGatehouse();
    try {
      const revocations = t.gatehouse.storage.revocations;
      const now = Date.now();
      const nowSeconds = Math.floor(now / 1000);
      await revocations.revokeAccessToken({ jti: 'expired-long-ago', clientId: 'c', expiresAt: nowSeconds - REVOCATION_SKEW_SECONDS - 1 });
      await revocations.revokeAccessToken({ jti: 'expired-just-now', clientId: 'c', expiresAt: nowSeconds - 100 });
      await revocations.revokeAccessToken({ jti: 'still-valid', clientId: 'c', expiresAt: nowSeconds + 100 });
      assert.equal(await pruneExpiredRevocations(revocations, now), 1);
      assert.equal(await revocations.isAccessTokenRevoked('expired-long-ago'), false);
      assert.equal(await revocations.isAccessTokenRevoked('expired-just-now'), true, 'a node whose clock runs behind may still accept it');
      assert.equal(await revocations.isAccessTokenRevoked('still-valid'), true);
    } finally {
      await t.close();
    }
  });
});

describe('authorization code and refresh token pruning', () => {
  it('prunes codes consumed more than 10 minutes ago and idle-expired refresh tokens, and keeps the rest', async () => {
    const t = await createTestGatehouse();
    try {
      const { codes, grants, refreshTokens } = t.gatehouse.storage;
      const { clientId } = await createClient(t.gatehouse);
      const now = Date.now();
      const code = (codeDigest: string) => ({
        codeDigest,
        clientId,
        userId: 'user-1',
        redirectUri: 'https://app.example.com/cb',
        scope: [],
        tenants: [],
        codeChallenge: null,
        codeChallengeMethod: null,
        authTime: now - 20 * 60_000,
        expiresAt: now,
      });
      await codes.createCode(code('old'));
      await codes.consumeCode('old', now - 11 * 60_000);
      await codes.createCode(code('recent'));
      await codes.consumeCode('recent', now - 9 * 60_000);
      const grant = await grants.createGrant({ id: 'g1', clientId, userId: 'user-1', codeDigest: 'old', scope: [], tenants: [], createdAt: now, absoluteExpiresAt: now + 60_000 });
      await refreshTokens.createRefreshToken({ id: 'r1', tokenDigest: 'idle', grantId: grant.id, clientId, createdAt: now - 60_000, idleExpiresAt: now - 1 });
      await refreshTokens.createRefreshToken({ id: 'r2', tokenDigest: 'live', grantId: grant.id, clientId, createdAt: now, idleExpiresAt: now + 60_000 });
      assert.deepEqual(await pruneExpiredCodesAndRefreshTokens(t.gatehouse.storage, now), { codes: 1, refreshTokens: 1 });
      assert.equal((await codes.consumeCode('old', now)).status, 'unknown');
      assert.equal((await codes.consumeCode('recent', now)).status, 'replayed');
      assert.equal(await refreshTokens.findRefreshToken('idle'), undefined);
      assert.equal((await refreshTokens.findRefreshToken('live'))?.id, 'r2');
    } finally {
      await t.close();
    }
  });
});
