/**
 * `gatehouse serve --management-port/--management-host`: the flags reach the configuration
 * (serve itself installs signal handlers and never returns, so it is not run in-process:
 * serveConfig is what its action calls; a bad flag is refused before anything starts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveConfig } from '../../packages/server/src/cli/commands/serve.js';
import type { Io } from '../../packages/server/src/cli/io.js';
import { runCli } from './in-process.js';

function io(env: Record<string, string> = {}): Io {
  return { out: () => {}, err: () => {}, input: async () => '', env };
}

describe('gatehouse serve: management listener flags', () => {
  it('maps --management-port and --management-host to managementPort and managementHost', () => {
    const config = serveConfig(io(), { db: 'sqlite::memory:', managementPort: '9090', managementHost: '0.0.0.0' });
    assert.equal(config.managementPort, 9090);
    assert.equal(config.managementHost, '0.0.0.0');
  });

  it('leaves the listener off without the flag or GATEHOUSE_MANAGEMENT_PORT, bound to --host when no management host is given', () => {
    const off = serveConfig(io(), { db: 'sqlite::memory:', host: '10.0.0.7' });
    assert.equal(off.managementPort, undefined);
    const on = serveConfig(io(), { db: 'sqlite::memory:', host: '10.0.0.7', managementPort: '0' });
    assert.equal(on.managementPort, 0, '0: a free port');
    assert.equal(on.managementHost, '10.0.0.7');
  });

  it('takes GATEHOUSE_MANAGEMENT_PORT and GATEHOUSE_MANAGEMENT_HOST from the environment; the flags win', () => {
    const env = { GATEHOUSE_MANAGEMENT_PORT: '9100', GATEHOUSE_MANAGEMENT_HOST: '127.0.0.2' };
    const fromEnv = serveConfig(io(env), { db: 'sqlite::memory:' });
    assert.deepEqual([fromEnv.managementPort, fromEnv.managementHost], [9100, '127.0.0.2']);
    const flagged = serveConfig(io(env), { db: 'sqlite::memory:', managementPort: '9200', managementHost: '127.0.0.3' });
    assert.deepEqual([flagged.managementPort, flagged.managementHost], [9200, '127.0.0.3']);
  });

  it('refuses a --management-port that is not a port, naming the flag, before starting anything', async () => {
    for (const [value, message] of [
      ['nine', /invalid --management-port "nine"/],
      ['70000', /--management-port/],
    ] as const) {
      const result = await runCli(['serve', '--db', 'sqlite::memory:', '--management-port', value]);
      assert.notEqual(result.code, 0, value);
      assert.match(result.stderr, message, value);
    }
  });

  it('lists both flags in `gatehouse serve --help`', async () => {
    const result = await runCli(['serve', '--help']);
    assert.match(result.stdout + result.stderr, /--management-port <n>/);
    assert.match(result.stdout + result.stderr, /--management-host <host>/);
  });
});
