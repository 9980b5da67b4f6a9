/**
 * `gatehouse client … --operator` (issue 14), in-process through `main(argv, io)`: operator
 * clients are created, listed and managed like a tenant's clients, belong to no tenant,
 * and the options that would contradict that are usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliJson, cliOk, runCli } from './in-process.js';

let dir: string;
let db: string;
const run = (args: string[]) => runCli([...args, '--db', db]);
const json = <T = Record<string, unknown>>(args: string[]) => cliJson<T>([...args, '--db', db]);

interface ClientJson {
  client_id: string;
  tenant: string | null;
  operator: boolean;
  name: string;
  scope: string;
  grant_types: string[];
  disabled: boolean;
  client_secret?: string;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-operator-'));
  db = `sqlite:${join(dir, 'g.db')}`;
  await cliOk(['migrate', '--db', db]);
  await cliOk(['tenant', 'create', 'acme', '--db', db]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('gatehouse client --operator', () => {
  it('create --operator: no tenant, client_credentials, scope gatehouse:admin, the secret shown once', async () => {
    const created = await json<ClientJson>(['client', 'create', '--operator', '--name', 'Automation']);
    assert.deepEqual(
      [created.tenant, created.operator, created.scope, created.grant_types, created.disabled],
      [null, true, 'gatehouse:admin', ['client_credentials'], false],
    );
    assert.match(created.client_secret ?? '', /^gatehouse_secret_/);
    const text = await run(['client', 'create', '--operator', '--name', 'Text']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^created operator client "Text" \(no tenant/);
    assert.match(text.stdout, /client_secret: gatehouse_secret_/);
  });

  it('list --operator lists the operator clients only; a tenant list never shows them', async () => {
    const created = await json<ClientJson>(['client', 'create', '--operator', '--name', 'Listed']);
    const tenantClient = await json<ClientJson>(['client', 'create', '--tenant', 'acme', '--name', 'Backend']);
    const operators = await json<{ items: ClientJson[] }>(['client', 'list', '--operator']);
    assert.ok(operators.items.some((client) => client.client_id === created.client_id));
    assert.ok(operators.items.every((client) => client.operator && client.tenant === null));
    assert.ok(!operators.items.some((client) => client.client_id === tenantClient.client_id));
    const acme = await json<{ items: ClientJson[] }>(['client', 'list', '--tenant', 'acme']);
    assert.ok(!acme.items.some((client) => client.client_id === created.client_id));
    assert.ok(acme.items.every((client) => client.tenant === 'acme' && !client.operator));
  });

  it('show, update, rotate-secret, disable, enable and delete work on an operator client', async () => {
    const { client_id: id } = await json<ClientJson>(['client', 'create', '--operator', '--name', 'Managed']);
    const shown = await run(['client', 'show', id]);
    assert.match(shown.stdout, /^tenant: \(none: operator client\)$/m);
    assert.match(shown.stdout, /^operator: true$/m);
    assert.equal((await json<ClientJson>(['client', 'update', id, '--name', 'Renamed', '--access-token-ttl', '10m'])).name, 'Renamed');
    const refused = await run(['client', 'update', id, '--scope', 'documents:read']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /gatehouse:admin/);
    const rotated = await json<{ client_id: string; tenant: string | null; client_secret: string }>(['client', 'rotate-secret', id]);
    assert.deepEqual([rotated.client_id, rotated.tenant], [id, null]);
    assert.equal((await json<ClientJson>(['client', 'disable', id])).disabled, true);
    assert.equal((await json<ClientJson>(['client', 'enable', id])).disabled, false);
    await cliOk(['client', 'delete', id, '--db', db]);
    assert.equal((await run(['client', 'show', id])).code, 3);
    const audit = await json<{ items: { action: string; target: string }[] }>(['audit', 'list', '--action', 'operator_client.delete']);
    assert.ok(audit.items.some((event) => event.target === id));
  });

  it('--tenant or --operator, exactly one; --operator with a tenant-client option is a usage error', async () => {
    for (const args of [
      ['client', 'create', '--name', 'Neither'],
      ['client', 'create', '--operator', '--tenant', 'acme', '--name', 'Both'],
      ['client', 'list'],
      ['client', 'list', '--operator', '--tenant', 'acme'],
    ]) {
      const result = await run(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /--tenant/);
    }
    const conflicting = await run(['client', 'create', '--operator', '--name', 'Web', '--grant-type', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb']);
    assert.equal(conflicting.code, 2);
    assert.match(conflicting.stderr, /--operator cannot be combined with --grant-type, --redirect-uri/);
    const scoped = await run(['client', 'create', '--operator', '--name', 'Wide', '--scope', 'gatehouse:admin documents:read']);
    assert.equal(scoped.code, 1);
    assert.match(scoped.stderr, /gatehouse:admin, and nothing else/);
  });

  it("a tenant's client with gatehouse:admin must use client_credentials only", async () => {
    const refused = await run(['client', 'create', '--tenant', 'acme', '--name', 'Web', '--grant-type', 'authorization_code', '--scope', 'gatehouse:admin', '--redirect-uri', 'https://app.example.com/cb']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /client_credentials only \(this one also uses authorization_code\)/);
    const ok = await json<ClientJson>(['client', 'create', '--tenant', 'acme', '--name', 'Tenant automation', '--scope', 'gatehouse:admin', '--default-scope', 'gatehouse:admin']);
    assert.deepEqual([ok.tenant, ok.operator, ok.scope], ['acme', false, 'gatehouse:admin']);
  });
});
