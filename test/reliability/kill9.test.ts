/**
 * Issue 16, reliability: `kill -9` of a `gatehouse serve` process under load, then a
 * restart on the same database (SQLite in WAL mode with synchronous=NORMAL; PostgreSQL
 * when GATEHOUSE_TEST_POSTGRES_URL is set, on a scratch database of its own).
 *
 * Every write whose success response the client received is durable: a redeemed code
 * stays spent and its tokens work, an acknowledged refresh rotation leaves the old token
 * rotated (dead) and the new one usable, an acknowledged revocation (RFC 7009 §2.2)
 * stays revoked, an acknowledged secret rotation keeps the new secret and not the old.
 * Nothing the client was refused (503) happened, and nothing it never asked for was
 * lost; a request that never got an answer may have happened or not, but only as a
 * whole. SQLite's synchronous=NORMAL loses nothing committed when the process (not the
 * machine) dies: the WAL is in the OS's page cache; the file passes `PRAGMA
 * integrity_check`.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { readResponse, type HttpResult } from '../helpers/http.js';
import { SKIP_POSTGRES } from '../helpers/postgres.js';
import type { ServerProcess } from '../helpers/process.js';
import { basicAuth } from '../helpers/tokens.js';
import {
  assertInvalidGrant,
  createDeployment,
  exchange,
  issueCodes,
  pairOf,
  post,
  refresh,
  setUpTenant,
  storedRefreshToken,
  type Credentials,
  type Deployment,
  type TokenPair,
} from './reliability.js';

/** Acknowledged writes before the kill (across all workers). */
const ACKS_BEFORE_KILL = 80;

/** What became of one write: answered with success, refused (503: nothing happened), or never answered (the kill). */
type Outcome = 'ok' | 'refused' | 'unanswered';

function classify(response: HttpResult, what: string): Outcome {
  if (response.status === 503) return 'refused';
  assert.ok(response.status === 200, `${what}: ${response.status} ${response.text}`);
  return 'ok';
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`kill -9 of gatehouse serve under load, then a restart (${backend})`, { skip: backend === 'postgres' ? SKIP_POSTGRES : false }, () => {
    let deployment: Deployment | undefined;
    after(() => deployment?.close());

    it('loses no acknowledged code redemption, refresh rotation, revocation or secret rotation, and resurrects nothing', async (t) => {
      deployment = await createDeployment(backend, 'gatehouse-kill9-');
      const d = deployment;
      let gatehouse = await d.operator();
      const fixture = await setUpTenant(gatehouse);
      const robots: Credentials[] = [];
      for (let i = 0; i < 12; i++) {
        const created = await gatehouse.admin.clients.create({ name: `Robot ${i}`, tenant: 'acme', scope: 'documents:read', defaultScope: 'documents:read' });
        robots.push({ clientId: created.client.id, secret: created.secret! });
      }
      const codes = await issueCodes(gatehouse, fixture, 200);
      await d.closeOperator();

      let server: ServerProcess = await d.start();
      const { app } = fixture;
      const operatorToken = pairOf(await post(server, '/oauth/token', { grant_type: 'client_credentials' }, fixture.operator), 'operator token') as unknown as { access_token: string };

      // Before the load: refresh chains and tokens to revoke.
      const chains: { acked: string[]; unanswered: boolean }[] = [];
      for (const code of codes.splice(0, 6)) chains.push({ acked: [pairOf(await exchange(server, app, code), 'chain start').refresh_token], unanswered: false });
      const revocable: { pair: TokenPair; outcome?: Outcome }[] = [];
      for (const code of codes.splice(0, 60)) revocable.push({ pair: pairOf(await exchange(server, app, code), 'revocation target') });
      const redeemable: { code: { code: string; verifier: string }; outcome?: Outcome; pair?: TokenPair }[] = codes.map((code) => ({ code }));
      const rotations: { robot: Credentials; outcome?: Outcome; secret?: string }[] = robots.map((robot) => ({ robot }));

      let killed = false;
      let acks = 0;
      const ack = () => (acks += 1);

      const chainWorker = async (chain: (typeof chains)[number]) => {
        while (!killed) {
          let response: HttpResult;
          try {
            response = await refresh(server, app, chain.acked.at(-1)!);
          } catch {
            chain.unanswered = true;
            return;
          }
          if (classify(response, 'refresh under load') === 'ok') {
            chain.acked.push(pairOf(response, 'refresh under load').refresh_token);
            ack();
          }
        }
      };
      /** Takes items from `queue` in order until the kill; `run` answers the outcome of one. */
      const queueWorker = async <T extends { outcome?: Outcome }>(queue: T[], run: (item: T) => Promise<Outcome>) => {
        for (;;) {
          if (killed) return;
          const item = queue.find((candidate) => candidate.outcome === undefined && !taken.has(candidate));
          if (!item) return;
          taken.add(item);
          try {
            item.outcome = await run(item);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            item.outcome = 'unanswered';
            return;
          }
          if (item.outcome === 'ok') ack();
        }
      };
      const taken = new Set<object>();
      const redeem = async (item: (typeof redeemable)[number]) => {
        const response = await exchange(server, app, item.code);
        const outcome = classify(response, 'code redemption under load');
        if (outcome === 'ok') item.pair = pairOf(response, 'code redemption');
        return outcome;
      };
      const revoke = async (item: (typeof revocable)[number]) => classify(await post(server, '/oauth/revoke', { token: item.pair.refresh_token }, app), 'revocation under load');
      const rotate = async (item: (typeof rotations)[number]) => {
        const response = await readResponse(
          await fetch(`${server.url}/admin/api/v1/tenants/acme/clients/${item.robot.clientId}/rotate-secret`, {
            method: 'POST',
            headers: { authorization: `Bearer ${operatorToken.access_token}`, 'content-type': 'application/json' },
            body: '{}',
            signal: AbortSignal.timeout(30_000),
          }),
        );
        const outcome = classify(response, 'secret rotation under load');
        if (outcome === 'ok') item.secret = response.json!.client_secret as string;
        return outcome;
      };

      const workers = [
        ...chains.map(chainWorker),
        queueWorker(redeemable, redeem),
        queueWorker(redeemable, redeem),
        queueWorker(revocable, revoke),
        queueWorker(revocable, revoke),
        queueWorker(rotations, rotate),
      ];
      const failed = Promise.all(workers).then(
        () => undefined,
        (error: unknown) => error,
      );
      while (acks < ACKS_BEFORE_KILL) {
        const early = await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 5, 'waiting'))]);
        if (early !== 'waiting') {
          if (early) throw early;
          break; // every queue drained: the kill then hits the chains alone
        }
      }
      process.kill(server.pid, 'SIGKILL');
      killed = true;
      const workerError = await failed;
      if (workerError) throw workerError;
      assert.equal(await server.exited, null, 'the process died of the signal');

      const count = (outcomes: (Outcome | undefined)[], which: Outcome) => outcomes.filter((outcome) => outcome === which).length;
      t.diagnostic(
        `acknowledged before the kill: ${acks} (rotations ${chains.reduce((sum, chain) => sum + chain.acked.length - 1, 0)}, redemptions ${count(redeemable.map((r) => r.outcome), 'ok')}, ` +
          `revocations ${count(revocable.map((r) => r.outcome), 'ok')}, secret rotations ${count(rotations.map((r) => r.outcome), 'ok')}); ` +
          `unanswered: ${chains.filter((chain) => chain.unanswered).length + count([...redeemable, ...revocable, ...rotations].map((r) => r.outcome), 'unanswered')}`,
      );

      if (d.sqliteFile) {
        // Before anything reopens it: the file as the killed process left it, the
        // acknowledged writes still in the WAL (not yet checkpointed into the file).
        assert.ok(statSync(`${d.sqliteFile}-wal`).size > 0, 'the killed process left a write-ahead log');
        const file = new Database(d.sqliteFile);
        try {
          assert.deepEqual(file.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
        } finally {
          file.close();
        }
      }

      server = await d.start();
      gatehouse = await d.operator();

      // Refresh chains: every acknowledged rotation left its old token rotated; the newest
      // acknowledged token works unless a request that never got an answer rotated it.
      for (const [i, chain] of chains.entries()) {
        const rotated = chain.acked.slice(0, -1);
        for (const token of rotated) assert.notEqual((await storedRefreshToken(gatehouse, token))?.rotatedAt ?? null, null, `chain ${i}: an acknowledged rotation was lost`);
        const newest = chain.acked.at(-1)!;
        const response = await refresh(server, app, newest);
        if (chain.unanswered && response.status !== 200) {
          assertInvalidGrant(response, `chain ${i}: the newest acknowledged token after an unanswered rotation`);
          assert.notEqual((await storedRefreshToken(gatehouse, newest))?.rotatedAt ?? null, null, `chain ${i}: refused although never rotated`);
        } else {
          pairOf(response, `chain ${i}: the newest acknowledged refresh token after the restart`);
        }
        if (rotated.length > 0) assertInvalidGrant(await refresh(server, app, rotated.at(-1)!), `chain ${i}: a token acknowledged as rotated works again`);
      }

      // Codes: a redeemed code's refresh token works and the code stays spent; a code never
      // redeemed (or refused) can still be redeemed once.
      for (const item of redeemable) {
        if (item.outcome === 'ok') {
          pairOf(await refresh(server, app, item.pair!.refresh_token), 'the refresh token of a code redeemed before the kill');
          assertInvalidGrant(await exchange(server, app, item.code), 'a code redeemed before the kill, redeemed again');
        } else if (item.outcome === 'unanswered') {
          const response = await exchange(server, app, item.code);
          if (response.status !== 200) assertInvalidGrant(response, 'a code whose redemption was never answered');
        }
      }
      const fresh = redeemable.filter((item) => item.outcome === undefined || item.outcome === 'refused').slice(0, 5);
      assert.ok(fresh.length > 0, 'some codes were never redeemed');
      for (const item of fresh) pairOf(await exchange(server, app, item.code), 'a code never redeemed (or refused), after the restart');

      // Revocations: acknowledged ones hold; tokens never revoked still work.
      for (const item of revocable) {
        if (item.outcome === 'ok') {
          assertInvalidGrant(await refresh(server, app, item.pair.refresh_token), 'a refresh token whose revocation was acknowledged');
          const introspection = await post(server, '/oauth/introspect', { token: item.pair.access_token }, app);
          assert.deepEqual(introspection.json, { active: false }, 'the access token of a revoked grant');
        } else if (item.outcome === undefined || item.outcome === 'refused') {
          pairOf(await refresh(server, app, item.pair.refresh_token), 'a refresh token never revoked');
        }
      }

      // Secret rotations: the acknowledged secret is the one that works.
      const clientCredentials = async (client: Credentials) =>
        readResponse(
          await fetch(`${server.url}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, client.secret) },
            body: 'grant_type=client_credentials',
          }),
        );
      for (const item of rotations) {
        if (item.outcome === 'ok') {
          assert.equal((await clientCredentials({ clientId: item.robot.clientId, secret: item.secret! })).status, 200, 'the secret of an acknowledged rotation');
          assert.equal((await clientCredentials(item.robot)).status, 401, 'the secret replaced by an acknowledged rotation');
        } else if (item.outcome === undefined || item.outcome === 'refused') {
          assert.equal((await clientCredentials(item.robot)).status, 200, 'a secret never rotated');
        }
      }
    });
  });
}
