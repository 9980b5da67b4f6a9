/**
 * The deployment examples (docs/examples/deploy/) and docs/deploy.md are documentation: no
 * test runs nginx, builds the image or starts the unit. What can be checked cheaply is
 * checked here, because a mistake in them is a real bug for whoever copies them: a
 * misspelt GATEHOUSE_* variable silently leaves a default in force, a value the
 * configuration refuses stops the server, a proxy pointed at the wrong port serves nothing,
 * a stop timeout shorter than the drain cuts requests off, a command the CLI does not have
 * fails at 3 a.m.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildCli } from '../../packages/server/src/cli/main.js';
import { configFromEnv, loadConfig, unknownEnvironmentVariables, type Config } from '../../packages/server/src/core/config.js';
import { parseDuration } from '../../packages/server/src/core/duration.js';

const EXAMPLES = new URL('../../docs/examples/deploy/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, EXAMPLES), 'utf8');
const DEPLOY_DOC = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

type Env = Record<string, string>;

/** The configuration `gatehouse serve` would build from `env` (throws as it would refuse to start). */
function configOf(env: Env): Config {
  assert.deepEqual(
    unknownEnvironmentVariables(env).map((unknown) => unknown.message),
    [],
    'every GATEHOUSE_* variable is a setting Gatehouse reads',
  );
  return loadConfig(configFromEnv(env));
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is a mapping`);
  return value as Record<string, unknown>;
}

function asEnv(value: unknown, what: string): Env {
  const record = asRecord(value, what);
  for (const [name, entry] of Object.entries(record)) assert.equal(typeof entry, 'string', `${what}: ${name} is a string (quote numbers and booleans)`);
  return record as Env;
}

/** The names GATEHOUSE_* of a text (a name ending with `_` is a prefix, as in `GATEHOUSE_TEST_*`). */
function variablesNamed(text: string): Env {
  const names = [...text.matchAll(/GATEHOUSE_[A-Z0-9_]*[A-Z0-9]\b/g)].map((match) => match[0]);
  return Object.fromEntries(names.map((name) => [name, '']));
}

describe('docs/examples/deploy/docker-compose.yml', () => {
  const compose = asRecord(parse(read('docker-compose.yml'), { merge: true }), 'the compose file');
  const services = asRecord(compose.services, 'services');
  const servers = ['gatehouse-1', 'gatehouse-2', 'gatehouse-3'].map((name) => ({ name, service: asRecord(services[name], name) }));

  it('runs three servers and a one-shot migrate with one environment, which Gatehouse accepts', () => {
    const migrate = asRecord(services.migrate, 'migrate');
    assert.deepEqual(migrate.command, ['migrate']);
    const environment = asEnv(migrate.environment, 'migrate.environment');
    for (const { name, service } of servers) {
      assert.deepEqual(service.command, ['serve'], name);
      assert.deepEqual(asEnv(service.environment, `${name}.environment`), environment, `${name} has the environment of the others`);
      assert.deepEqual(asRecord(asRecord(service.depends_on, `${name}.depends_on`).migrate, `${name}.depends_on.migrate`).condition, 'service_completed_successfully', `${name} starts after the migrations`);
      assert.ok(parseDuration(String(service.stop_grace_period)) > 0);
    }
    const config = configOf(environment);
    assert.match(config.issuer, /^https:\/\//);
    assert.match(config.databaseUrl, /^postgres:\/\//);
    assert.doesNotMatch(config.databaseUrl, /:[^@/]*@/, 'no password in the URL: it comes from a secret file');
    assert.match(config.redisUrl, /^redis:\/\//);
    assert.match(config.masterKeyFile, /^\/run\/secrets\//, 'the master key is a mounted secret, not baked into the image');
    assert.ok(config.managementPort !== undefined);

    // The trusted proxy is nginx, by its fixed address.
    const nginx = asRecord(asRecord(asRecord(services.nginx, 'nginx').networks, 'nginx.networks').backend, 'nginx.networks.backend');
    assert.equal(config.trustProxy, nginx.ipv4_address);

    // The supervisor waits out the drain before SIGKILL.
    for (const { name, service } of servers) {
      assert.ok(parseDuration(String(service.stop_grace_period)) > config.shutdownDelay + config.shutdownGrace, `${name}: stop_grace_period outlasts GATEHOUSE_SHUTDOWN_DELAY + GATEHOUSE_SHUTDOWN_GRACE`);
      const test = (asRecord(service.healthcheck, `${name}.healthcheck`).test as string[]).join(' ');
      assert.ok(test.includes(`:${config.managementPort}/health/ready`), `${name}: the health check asks the management listener for readiness`);
    }
  });

  it('mounts the nginx.conf that proxies to the public port of each server, never the management port', () => {
    const config = configOf(asEnv(asRecord(services['gatehouse-1'], 'gatehouse-1').environment, 'environment'));
    const nginx = asRecord(services.nginx, 'nginx');
    assert.ok((nginx.volumes as string[]).some((volume) => volume.startsWith('./nginx.conf:')));
    const conf = read('nginx.conf');
    const upstream = /upstream gatehouse \{([^}]*)\}/.exec(conf);
    assert.ok(upstream, 'an upstream block');
    const targets = [...upstream[1]!.matchAll(/^\s*server\s+(\S+?)(?:\s[^;]*)?;/gm)].map((match) => match[1]);
    assert.deepEqual(targets, servers.map(({ name }) => `${name}:${config.port}`));
    assert.ok(!targets.some((target) => target!.endsWith(`:${config.managementPort}`)));
    assert.equal((conf.match(/\{/g) ?? []).length, (conf.match(/\}/g) ?? []).length, 'balanced braces');
    assert.match(conf, /proxy_pass http:\/\/gatehouse;/);
    assert.match(conf, /proxy_set_header X-Forwarded-For /);
    assert.match(conf, /proxy_set_header X-Forwarded-Proto \$scheme;/);
    assert.match(conf, /return 301 https:\/\//, 'plain http only redirects');
  });
});

describe('docs/examples/deploy/gatehouse.service and gatehouse.env', () => {
  const unit = read('gatehouse.service');

  function unitEnvironment(): Env {
    const env: Env = {};
    for (const line of read('gatehouse.env').split('\n')) {
      const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (match) env[match[1]!] = match[2]!;
    }
    for (const match of unit.matchAll(/^Environment=([A-Z0-9_]+)=(.*)$/gm)) env[match[1]!] = match[2]!;
    return env;
  }

  it('name only settings Gatehouse knows, with values it accepts, and stop after the drain', () => {
    assert.match(unit, /^EnvironmentFile=\/etc\/gatehouse\/gatehouse\.env$/m);
    const config = configOf(unitEnvironment());
    assert.match(config.issuer, /^https:\/\//);
    assert.match(config.databaseUrl, /^postgres:\/\//);
    assert.notEqual(config.trustProxy, '');
    assert.ok(config.managementPort !== undefined);
    const timeout = /^TimeoutStopSec=(\d+)$/m.exec(unit);
    assert.ok(timeout, 'TimeoutStopSec is set');
    assert.ok(Number(timeout[1]) > config.shutdownDelay + config.shutdownGrace, 'TimeoutStopSec outlasts the drain');
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  it('passes systemd-analyze verify', { skip: analyze.status === 0 ? false : 'systemd-analyze is not installed' }, () => {
    const path = new URL('gatehouse.service', EXAMPLES).pathname;
    const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    // Parse warnings name the file and line (unknown keys, bad values); lines about this
    // machine (no `gatehouse` user, no /opt/gatehouse) do not.
    const problems = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /gatehouse\.service:\d+:/.test(line));
    assert.deepEqual(problems, []);
  });
});

describe('docs/examples/deploy/Dockerfile', () => {
  it('sets only settings Gatehouse knows', () => {
    const env: Env = {};
    for (const match of read('Dockerfile').matchAll(/^ENV\s+(.+)$/gm)) {
      for (const pair of match[1]!.trim().split(/\s+/)) {
        const [name = '', value = ''] = pair.split('=');
        env[name] = value;
      }
    }
    assert.ok(Object.keys(env).length > 0);
    configOf(env);
  });
});

describe('docs/deploy.md', () => {
  it('names only settings Gatehouse knows', () => {
    assert.deepEqual(unknownEnvironmentVariables(variablesNamed(DEPLOY_DOC)).map((unknown) => unknown.name), []);
  });

  it('shows only gatehouse commands and flags the CLI has', () => {
    const program = buildCli({ out: () => {}, err: () => {} });
    const commands: string[] = [];
    for (const match of DEPLOY_DOC.matchAll(/`(gatehouse [^`]+)`/g)) commands.push(match[1]!);
    for (const block of DEPLOY_DOC.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)) {
      for (const line of block[1]!.split('\n')) {
        const command = line.trim().replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
        if (command.startsWith('gatehouse ')) commands.push(command);
      }
    }
    assert.ok(commands.length >= 8, `found ${commands.length} commands`);
    const problems = commands.flatMap((text) => {
      const words = text.split(/\s+/).slice(1);
      if (words[0] === '…') return []; // "`gatehouse …` commands" in the prose
      let command: Command | undefined = program;
      let used = 0;
      while (used < words.length && command && command.commands.length > 0 && /^[a-z][a-z-]*$/.test(words[used]!)) {
        command = command.commands.find((candidate) => candidate.name() === words[used]);
        used++;
      }
      if (!command || command === program) return [`${text}: no such command`];
      const known = new Set(['--help', ...command.options.map((option) => option.long)]);
      const unknownFlags = words.filter((word) => word.startsWith('--') && !known.has(word.split('=')[0]!));
      return unknownFlags.length > 0 ? [`${text}: unknown ${unknownFlags.join(', ')}`] : [];
    });
    assert.deepEqual(problems, []);
  });

  it('has YAML blocks that parse', () => {
    const blocks = [...DEPLOY_DOC.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
    assert.ok(blocks.length > 0);
    for (const block of blocks) assert.doesNotThrow(() => parse(block));
  });

  it('links to every example file, and each exists', () => {
    for (const name of ['nginx.conf', 'gatehouse.service', 'gatehouse.env', 'docker-compose.yml', 'Dockerfile']) {
      assert.ok(DEPLOY_DOC.includes(`(examples/deploy/${name})`), `docs/deploy.md links to ${name}`);
      assert.doesNotThrow(() => execFileSync('test', ['-f', new URL(name, EXAMPLES).pathname]));
    }
  });
});
