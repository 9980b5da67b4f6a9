/**
 * `gatehouse client update|delete`, `tenant update|disable|enable`, `scope delete` (issue 14),
 * in-process through `main(argv, io)`: the updated resource, the checks of `create`, the
 * audit events.
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

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-client-admin-'));
  db = `sqlite:${join(dir, 'g.db')}`;
  await cliOk(['migrate', '--db', db]);
  await cliOk(['tenant', 'create', 'acme', '--db', db]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const createClient = async () =>
  (await json<{ client_id: string }>(['client', 'create', '--tenant', 'acme', '--name', 'App', '--grant-type', 'authorization_code', '--scope', 'a b', '--default-scope', 'a', '--redirect-uri', 'https://app.example.com/one', '--json'])).client_id;

describe('gatehouse client update', () => {
  it('replaces the flags given and prints the updated client; the others keep their values', async () => {
    const id = await createClient();
    const updated = await json(['client', 'update', id, '--name', 'Renamed', '--scope', 'b c', '--default-scope', 'c', '--redirect-uri', 'https://app.example.com/two', '--redirect-uri', 'https://app.example.com/three', '--access-token-ttl', '10m', '--refresh-idle-ttl', '1d', '--refresh-absolute-ttl', '30d', '--refresh-grace', '10s', '--json']);
    assert.deepEqual(
      { ...updated, created_at: '', updated_at: '' },
      {
        client_id: id, tenant: 'acme', operator: false, name: 'Renamed', public: false, resource_server: false, grant_types: ['authorization_code'], scope: 'b c', default_scope: 'c',
        redirect_uris: ['https://app.example.com/two', 'https://app.example.com/three'], access_token_ttl: 600, refresh_idle_ttl: 86_400, refresh_absolute_ttl: 2_592_000, refresh_grace: 10,
        disabled: false, created_at: '', updated_at: '',
      },
    );
    assert.deepEqual(await json(['client', 'show', id, '--json']), updated);
    const renamedOnly = await json<{ name: string; scope: string }>(['client', 'update', id, '--name', 'Again', '--json']);
    assert.deepEqual([renamedOnly.name, renamedOnly.scope], ['Again', 'b c']);
    const text = await run(['client', 'update', id, '--name', 'Text']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^client_id: .*\nname: Text\n/ms);
  });

  it("--access-token-ttl default goes back to the tenant's lifetime; --grant-type replaces the grant types", async () => {
    const id = await createClient();
    assert.equal((await json<{ access_token_ttl: number | null }>(['client', 'update', id, '--access-token-ttl', '15m', '--json'])).access_token_ttl, 900);
    const cleared = await json<{ access_token_ttl: number | null; name: string }>(['client', 'update', id, '--access-token-ttl', 'default', '--json']);
    assert.deepEqual([cleared.access_token_ttl, cleared.name], [null, 'App']);
    const regranted = await json<{ grant_types: string[] }>(['client', 'update', id, '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--json']);
    assert.deepEqual(regranted.grant_types, ['authorization_code', 'refresh_token']);
    const bad = await run(['client', 'update', id, '--grant-type', 'password']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown grant type "password"/);
  });

  it('applies the checks of client create and writes nothing when one fails', async () => {
    const id = await createClient();
    const before = await json(['client', 'show', id, '--json']);
    const cases: [string[], RegExp][] = [
      [['--scope', 'a,b'], /scope names are separated by spaces, not commas/],
      [['--default-scope', 'z'], /default scope "z" is not among the client's scopes/],
      [['--scope', 'b'], /default scope "a" is not among the client's scopes/],
      [['--redirect-uri', 'https://app.example.com/#x'], /must not contain a fragment/],
      [['--name', ' '], /a client name must be 1-200 characters/],
      [['--refresh-idle-ttl', '2d', '--refresh-absolute-ttl', '1d'], /exceeds the refresh absolute lifetime/],
      [['--refresh-grace', '1h'], /the refresh grace window must be 0 to 5m/],
    ];
    for (const [flags, message] of cases) {
      const result = await run(['client', 'update', id, ...flags]);
      assert.equal(result.code, 1, flags.join(' '));
      assert.match(result.stderr, message);
    }
    assert.deepEqual(await json(['client', 'show', id, '--json']), before);
    assert.equal((await run(['client', 'update', 'no-such-client', '--name', 'X'])).code, 3);
  });
});

describe('gatehouse client delete', () => {
  it('deletes the client: show, list, update and a second delete no longer find it; audited', async () => {
    const id = await createClient();
    const deleted = await json<{ client_id: string }>(['client', 'delete', id, '--json']);
    assert.equal(deleted.client_id, id);
    assert.equal((await run(['client', 'show', id])).code, 3);
    assert.equal((await run(['client', 'update', id, '--name', 'X'])).code, 3);
    const again = await run(['client', 'delete', id]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /no client with id/);
    const listed = await json<{ clients: { client_id: string }[] }>(['client', 'list', '--tenant', 'acme', '--json']);
    assert.ok(!listed.clients.some((client) => client.client_id === id));
    const events = await json<{ items: { action: string; target: string; outcome: string }[] }>(['audit', 'list', '--json']);
    assert.ok(events.items.some((event) => event.action === 'client.delete' && event.target === id && event.outcome === 'success'));
    assert.ok(events.items.some((event) => event.action === 'client.update' && event.outcome === 'success'));
  });
});

describe('gatehouse tenant update, disable, enable', () => {
  it('update changes the name and lifetime, never the slug; bad values are refused', async () => {
    await cliOk(['tenant', 'create', 'globex', '--db', db]);
    const updated = await json(['tenant', 'update', 'globex', '--name', 'Globex Corp', '--access-token-ttl', '2h', '--json']);
    assert.deepEqual({ ...updated, created_at: '' }, { slug: 'globex', name: 'Globex Corp', access_token_ttl: 7200, disabled: false, branding: { accent: null, logo_url: null, terms_url: null, privacy_url: null }, created_at: '' });
    const nameOnly = await json<{ access_token_ttl: number }>(['tenant', 'update', 'globex', '--name', 'Globex', '--json']);
    assert.equal(nameOnly.access_token_ttl, 7200);
    const tooLong = await run(['tenant', 'update', 'globex', '--access-token-ttl', '400d']);
    assert.equal(tooLong.code, 1);
    assert.match(tooLong.stderr, /exceeds the maximum/);
    assert.equal((await run(['tenant', 'update', 'nowhere', '--name', 'X'])).code, 3);
  });

  it('disable and enable print the tenant; list marks a disabled one; audited', async () => {
    await cliOk(['tenant', 'create', 'hooli', '--db', db]);
    assert.equal((await json<{ disabled: boolean }>(['tenant', 'disable', 'hooli', '--json'])).disabled, true);
    assert.match((await run(['tenant', 'list'])).stdout, /^hooli\thooli\t\(disabled\)$/m);
    assert.equal((await json<{ disabled: boolean }>(['tenant', 'enable', 'hooli', '--json'])).disabled, false);
    assert.equal((await run(['tenant', 'disable', 'nowhere'])).code, 3);
    const events = await json<{ items: { action: string; target: string; outcome: string }[] }>(['audit', 'list', '--tenant', 'hooli', '--json']);
    assert.deepEqual(events.items.map((event) => event.action), ['tenant.enable', 'tenant.disable', 'tenant.create']);
  });
});

describe('gatehouse scope delete', () => {
  it('removes the scope from the catalogue; the client keeps the name; an unknown scope is exit 3', async () => {
    const id = await createClient();
    await cliOk(['scope', 'create', 'b', '--tenant', 'acme', '--description', 'Bees', '--db', db]);
    assert.deepEqual(await json(['scope', 'delete', 'b', '--tenant', 'acme', '--json']), { tenant: 'acme', name: 'b', deleted: true });
    const scopes = await json<{ items: { name: string }[] }>(['scope', 'list', '--tenant', 'acme', '--json']);
    assert.ok(!scopes.items.some((scope) => scope.name === 'b'));
    assert.equal((await json<{ scope: string }>(['client', 'show', id, '--json'])).scope, 'a b');
    const again = await run(['scope', 'delete', 'b', '--tenant', 'acme']);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /tenant acme has no scope "b"/);
    const events = await json<{ items: { action: string; target: string; outcome: string }[] }>(['audit', 'list', '--action', 'scope.delete', '--json']);
    assert.deepEqual(events.items.map((event) => [event.target, event.outcome]), [['b', 'failure'], ['b', 'success']]);
  });
});
