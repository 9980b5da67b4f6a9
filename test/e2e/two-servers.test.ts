/**
 * End-to-end tests of two REAL `gatehouse serve` processes on one database (a SQLite file,
 * and PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set), with the real CLI beside them:
 * what one process or the CLI changes, the other enforces.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTempPostgresDatabase, SKIP_POSTGRES } from '../helpers/postgres.js';
import { cliJson, cliOk, runCli, startServer, type ServerProcess } from '../helpers/process.js';
import { type HttpResult, postForm } from '../helpers/http.js';
import { sleep, waitFor } from '../helpers/timing.js';
import { jwtHeader, jwtPayload } from '../helpers/tokens.js';
import { credentialsOf, getToken, INACTIVE, introspect, jwks, tokenRequest, type CreatedClient, type Credentials } from './server-requests.js';


interface Backend {
  name: string;
  skip: string | false;
  /** A fresh, empty database and the environment every process using it needs. */
  create(dir: string): Promise<{ db: string; env: Record<string, string>; cleanup(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite file',
    skip: false,
    create: async (dir) => ({ db: `sqlite:${join(dir, 'g.db')}`, env: {}, cleanup: async () => {} }),
  },
  {
    name: 'PostgreSQL database',
    skip: SKIP_POSTGRES,
    create: async (dir) => {
      const database = await createTempPostgresDatabase();
      // Every process of a cluster shares one master key (here: a file in the test's directory, never ./data).
      return { db: database.url, env: { GATEHOUSE_MASTER_KEY_FILE: join(dir, 'master.key') }, cleanup: () => database.drop() };
    },
  },
];

/** Processes of one cluster sit behind one public URL: they share the issuer. */
const CLUSTER_ISSUER = 'https://auth.gatehouse.test';

for (const backend of BACKENDS) {
  describe(`two gatehouse serve processes on one ${backend.name}`, { skip: backend.skip }, () => {
    let dir: string;
    let db: string;
    let env: Record<string, string>;
    let cleanup: (() => Promise<void>) | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let auditor: Credentials;

    const cli = (...args: string[]) => runCli([...args, '--db', db], { env });
    const cliObject = <T = Record<string, unknown>>(...args: string[]) => cliJson<T>([...args, '--db', db], { env });
    const newClient = async (name: string) => credentialsOf(await cliObject<CreatedClient>('client', 'create', '--tenant', 'acme', '--name', name, '--scope', 'documents:read'));
    const A = () => a!;
    const B = () => b!;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
      ({ db, env, cleanup } = await backend.create(dir));
      a = await startServer({ db, env, issuer: CLUSTER_ISSUER });
      b = await startServer({ db, env, issuer: CLUSTER_ISSUER });
      await cliOk(['tenant', 'create', 'acme', '--db', db], { env });
      auditor = await newClient('Auditor (introspects)');
    });

    after(async () => {
      await Promise.allSettled([a?.stop(), b?.stop()]);
      await cleanup?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a token from server A introspects active on server B, and the other way round', async () => {
      const client = await newClient('Cross-node');
      const fromA = await getToken(A(), client);
      const fromB = await getToken(B(), client);
      assert.equal(jwtPayload(fromA).iss, CLUSTER_ISSUER);
      for (const [server, token] of [[B(), fromA], [A(), fromB]] as const) {
        const result = await introspect(server, auditor, token);
        assert.equal(result.json?.active, true, result.text);
        assert.equal(result.json?.client_id, client.id);
        assert.equal(result.json?.tenant, 'acme');
        assert.equal(result.json?.iss, CLUSTER_ISSUER);
      }
    });

    it('client rotate-secret (no grace): server B reports exactly {"active":false} within 1 s of the CLI exiting; the old secret is refused everywhere, the new one works', async () => {
      const client = await newClient('Rotated at once');
      const token = await getToken(A(), client);
      assert.equal((await introspect(B(), auditor, token)).json?.active, true, 'active on B before the rotation');

      const rotation = await cli('client', 'rotate-secret', client.id, '--json');
      assert.equal(rotation.code, 0, rotation.stderr);
      const newSecret = (JSON.parse(rotation.stdout) as { client_secret: string }).client_secret;

      // Poll B from the moment the CLI exited; the change must be visible within one second.
      let result: HttpResult;
      let seenAt: number;
      for (;;) {
        result = await introspect(B(), auditor, token);
        seenAt = Date.now();
        if (result.json?.active === false || seenAt - rotation.exitedAt > 5000) break;
        await sleep(20);
      }
      assert.equal(result.text, INACTIVE, 'exactly {"active":false}');
      const elapsed = seenAt - rotation.exitedAt;
      assert.ok(elapsed <= 1000, `server B saw the revocation ${elapsed} ms after the CLI exited (limit 1000 ms)`);
      assert.equal((await introspect(A(), auditor, token)).text, INACTIVE);

      for (const server of [A(), B()]) {
        const basicAuth = await tokenRequest(server, client);
        assert.equal(basicAuth.status, 401, basicAuth.text);
        assert.equal(basicAuth.json?.error, 'invalid_client');
        const post = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret });
        assert.equal(post.status, 401, post.text);
        assert.equal(post.json?.error, 'invalid_client');
      }

      const rotated = { id: client.id, secret: newSecret };
      for (const server of [A(), B()]) {
        const fresh = await getToken(server, rotated);
        // A token minted right after the rotation is not caught by the revocation.
        const other = server === A() ? B() : A();
        assert.equal((await introspect(other, auditor, fresh)).json?.active, true);
        assert.equal((await introspect(server, auditor, fresh)).json?.active, true);
      }
    });

    it('client rotate-secret --grace 24h: both secrets work on both servers and earlier tokens stay active', async () => {
      const client = await newClient('Rotated with grace');
      const earlier = await getToken(A(), client);

      const rotated = await cliObject<{ client_secret: string; previous_secret_expires_at: string | null }>('client', 'rotate-secret', client.id, '--grace', '24h');
      assert.notEqual(rotated.previous_secret_expires_at, null);
      const next = { id: client.id, secret: rotated.client_secret };

      for (const server of [A(), B()]) {
        for (const secret of [client, next]) {
          const response = await tokenRequest(server, secret);
          assert.equal(response.status, 200, `${secret === client ? 'old' : 'new'} secret on ${server.url}: ${response.text}`);
          assert.equal((await introspect(server === A() ? B() : A(), auditor, response.json!.access_token as string)).json?.active, true);
        }
        const result = await introspect(server, auditor, earlier);
        assert.equal(result.json?.active, true, `the earlier token on ${server.url}: ${result.text}`);
      }
    });

    it('keys rotate --alg RS256: within ~1.5 s both servers sign with the new kid; the JWKS lists both; old tokens stay active', async () => {
      const before = await getToken(A(), auditor);
      const oldKid = jwtHeader(before).kid as string;

      const rotation = await cli('keys', 'rotate', '--alg', 'RS256', '--json');
      assert.equal(rotation.code, 0, rotation.stderr);
      const { kid: newKid, alg } = JSON.parse(rotation.stdout) as { kid: string; alg: string };
      assert.equal(alg, 'RS256');
      assert.notEqual(newKid, oldKid);

      const latest = new Map<ServerProcess, string>();
      const switchedAt = new Map<ServerProcess, number>();
      while (switchedAt.size < 2 && Date.now() - rotation.exitedAt <= 5000) {
        for (const server of [A(), B()]) {
          if (switchedAt.has(server)) continue;
          const token = await getToken(server, auditor);
          latest.set(server, token);
          if (jwtHeader(token).kid === newKid) switchedAt.set(server, Date.now());
        }
        if (switchedAt.size < 2) await sleep(50);
      }
      for (const [name, server] of [['A', A()], ['B', B()]] as const) {
        const at = switchedAt.get(server);
        assert.ok(at !== undefined, `server ${name} still signs with ${String(jwtHeader(latest.get(server)!).kid)} 5 s after the rotation`);
        assert.ok(at - rotation.exitedAt <= 1500, `server ${name} switched to the new key ${at - rotation.exitedAt} ms after the CLI exited (limit ~1500 ms)`);

        const token = latest.get(server)!;
        const header = jwtHeader(token);
        assert.equal(header.alg, 'RS256');
        assert.equal(header.typ, 'at+jwt');

        const published = await jwks(server);
        const kids = published.keys.map((key) => key.kid);
        assert.ok(kids.includes(oldKid) && kids.includes(newKid), `JWKS of ${name} lists ${kids.join(', ')}`);
        for (const key of published.keys) assert.ok(!('d' in key) && !('p' in key), 'no private key material in the JWKS');
        const set = createLocalJWKSet(published);
        await jwtVerify(token, set, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' });
        await jwtVerify(before, set, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' });

        const old = await introspect(server, auditor, before);
        assert.equal(old.json?.active, true, `a token signed by the old key on ${name}: ${old.text}`);
      }
    });

    it('concurrent `keys rotate` runs leave exactly one active signing key, and both servers sign with it', async () => {
      for (let round = 1; round <= 3; round++) {
        const runs = await Promise.all([1, 2, 3, 4].map(() => cli('keys', 'rotate', '--json')));
        for (const run of runs) assert.equal(run.code, 0, run.stderr);
        const { keys } = await cliObject<{ keys: { kid: string; active: boolean }[] }>('keys', 'list');
        const active = keys.filter((key) => key.active).map((key) => key.kid);
        assert.equal(active.length, 1, `round ${round}: keys list shows ${active.length} active keys (${active.join(', ')})`);
        for (const server of [A(), B()]) {
          await waitFor(`${server.url} to sign with ${active[0]}`, async () => (jwtHeader(await getToken(server, auditor)).kid === active[0] ? true : undefined), {
            timeoutMs: 5000,
            intervalMs: 100,
          });
        }
      }
    });

    it('two processes started at the same moment on a fresh database both become ready, sharing one master key and one active signing key', async () => {
      const freshDir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-fresh-'));
      const fresh = await backend.create(freshDir);
      const started = await Promise.allSettled([
        startServer({ db: fresh.db, env: fresh.env, issuer: CLUSTER_ISSUER }),
        startServer({ db: fresh.db, env: fresh.env, issuer: CLUSTER_ISSUER }),
      ]);
      try {
        for (const result of started) assert.equal(result.status, 'fulfilled', result.status === 'rejected' ? String(result.reason) : '');
        const [one, two] = started.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value) as [ServerProcess, ServerProcess];
        const logs = [one, two].map((server) => server.logLines().filter((line) => typeof line.masterKeyFile === 'string'));
        assert.equal(
          logs.flat().filter((line) => /generated a new master key/.test(String(line.msg))).length,
          1,
          'exactly one process generated the master key',
        );
        const { keys } = await cliJson<{ keys: { kid: string; active: boolean }[] }>(['keys', 'list', '--db', fresh.db], { env: fresh.env });
        const active = keys.filter((key) => key.active).map((key) => key.kid);
        assert.equal(active.length, 1, `keys list shows ${active.length} active signing keys (${active.join(', ')}) after a simultaneous first start`);
        await cliOk(['tenant', 'create', 'acme', '--db', fresh.db], { env: fresh.env });
        const client = credentialsOf(await cliJson<CreatedClient>(['client', 'create', '--tenant', 'acme', '--name', 'X', '--db', fresh.db], { env: fresh.env }));
        const token = await getToken(one, client);
        assert.equal((await introspect(two, client, token)).json?.active, true);
      } finally {
        await Promise.allSettled(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
        await fresh.cleanup();
        rmSync(freshDir, { recursive: true, force: true });
      }
    });
  });
}
