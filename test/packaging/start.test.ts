/**
 * `npm start` as a container runtime or systemd runs it: it starts the built server without
 * recompiling (the build is current: `npm test` builds first), and the SIGTERM sent to the
 * `npm start` process stops the server, instead of leaving it running as an orphan.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, freePort, REPO_ROOT } from '../helpers/process.js';
import { sleep, waitFor } from '../helpers/timing.js';

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves from the current build without compiling, and a SIGTERM to npm stops the server cleanly', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: childEnv({ GATEHOUSE_DATABASE_URL: `sqlite:${dataDir}/gatehouse.db`, GATEHOUSE_PORT: String(port), GATEHOUSE_SHUTDOWN_DELAY: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that cleanup can end whatever it started, even an orphan.
      detached: true,
    });
    let output = '';
    npm.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    npm.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.on('exit', (code, signal) => resolve({ code, signal })));
    const healthz = `http://127.0.0.1:${port}/healthz`;
    try {
      await waitFor('the server started by npm start', async () => ((await answers(healthz)) ? true : undefined), { timeoutMs: 30_000 }).catch((error: Error) => {
        throw new Error(`${error.message}; npm start said: ${output}`);
      });
      assert.doesNotMatch(output, /building/, 'a current build is not compiled again');

      npm.kill('SIGTERM'); // the npm process only, as `docker stop` signals PID 1
      const outcome = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
      assert.notEqual(outcome, 'timeout', 'npm start exits after SIGTERM');
      assert.deepEqual(outcome, { code: 0, signal: null }, 'a clean shutdown');
      assert.match(output, /"reason":"SIGTERM","delaySeconds":1,.*shutdown started/);
      assert.match(output, /"reason":"SIGTERM",.*"connectionsCut":0,.*shutdown ended/);
      // The server itself is gone too: nothing answers on its port any more.
      await waitFor('the port to close', async () => ((await answers(healthz)) ? undefined : true), { timeoutMs: 5000 });
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone: everything stopped
      }
    }
  });
});
