/**
 * The bench's bulk seeder (bench/servers/scale-seed.ts) writes rows the server uses as its
 * own: 1 000 clients and 1 000 live grants with refresh tokens, then a client_credentials
 * request with the printed client's secret gets a token (and a wrong secret does not), and
 * the hot statements' plans it reports are index lookups on the seeded tables. Also the floor
 * arithmetic of the `token` scenario. Nothing here is timed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { physicalFloor } from '../../bench/harness/scenarios.js';
import type { Seeded } from '../../bench/servers/bench-data.js';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { basicAuth } from '../helpers/tokens.js';
import { getToken, openTestApp, postForm } from '../helpers/gatehouse.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { createTempDir } from '../helpers/temp-dir.js';

const SCRIPT = 'bench/servers/scale-seed.ts';
// test/helpers/process.ts is for dist/ (the CLI): the seeder runs from the sources, through tsx, as `npm run bench` runs it.
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The test's environment without GATEHOUSE_* settings, plus `env`. */
const childEnv = (env: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_'))), ...env });

function runSeeder(env: Record<string, string>): Promise<Seeded> {
  const child = spawn(process.execPath, ['--conditions=@gatehouse-auth/source', '--import', 'tsx', SCRIPT], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('SEEDED '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('SEEDED '.length)) as Seeded);
      else reject(new Error(`${SCRIPT} exited with ${code}: ${stderr}`));
    });
  });
}

describe('bench floor: 1 / (1/http + 1/sign)', () => {
  it('combines the two rates as costs per answer add up', () => {
    assert.equal(physicalFloor(20_000, 20_000), 10_000);
    assert.ok(Math.abs(physicalFloor(30_000, 60_000) - 20_000) < 1e-9);
    assert.equal(physicalFloor(0, 50_000), 0);
  });
});

for (const target of STORAGE_TARGETS) {
  describe(`bench bulk seeder (${target.name})`, { skip: target.skip }, () => {
    const dir = createTempDir('gatehouse-scale-seed-');
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups) await cleanup();
      dir.remove();
    });

    it('seeds 1 000 clients and refresh tokens the server accepts, and shows their plans', async () => {
      const { url, cleanup } = await target.create(dir.path);
      cleanups.push(cleanup);
      const seeded = await runSeeder({ BENCH_DIR: dir.path, BENCH_DATABASE_URL: url, BENCH_SCALE: '1000' });
      assert.equal(seeded.scale?.count, 1000);
      assert.ok(seeded.scale.bytes > 0);
      // The statements of both grants, each planned as index lookups on the seeded tables.
      assert.ok(seeded.scale.plans.length >= 6);
      for (const plan of seeded.scale.plans) assert.deepEqual(plan.scans.filter((table) => ['clients', 'grants', 'refresh_tokens'].includes(table)), [], plan.sql);

      const { app, gatehouse, close } = await openTestApp(loadConfig({ databaseUrl: url, dataDir: dir.path, logLevel: 'silent' }));
      cleanups.unshift(close);
      const clients = await gatehouse.admin.clients.list('acme');
      assert.equal(clients.length, 1001); // the seeded ones and the grants client

      const client = { clientId: seeded.client.id, secret: seeded.client.secret, tenant: 'acme' };
      assert.ok(await getToken(app, client, { scope: 'documents:read' }));
      const wrong = await postForm(app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, `${client.secret}x`) });
      assert.equal(wrong.statusCode, 401);
    });
  });
}
