/**
 * `gatehouse tenant branding` (issue 14), in-process through `main(argv, io)`: the flags
 * set, keep and clear the branding; bad input names the flag's value; the JSON resource.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliJson, cliOk, runCli } from './in-process.js';

let dir: string;
let db: string;
const run = (args: string[]) => runCli([...args, '--db', db]);
const json = <T = Record<string, unknown>>(args: string[]) => cliJson<T>([...args, '--db', db]);
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d2c5d80000000049454e44ae426082', 'hex');

interface TenantJson {
  branding: { accent: string | null; logo_url: string | null; terms_url: string | null; privacy_url: string | null };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-branding-'));
  db = `sqlite:${join(dir, 'g.db')}`;
  await cliOk(['migrate', '--db', db]);
  await cliOk(['tenant', 'create', 'acme', '--name', 'Acme Corp', '--db', db]);
  writeFileSync(join(dir, 'logo.png'), PNG);
  writeFileSync(join(dir, 'logo.txt'), 'not an image');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('gatehouse tenant branding', () => {
  it('sets the logo, accent and links, and prints the tenant with its branding', async () => {
    const tenant = await json<TenantJson>(['tenant', 'branding', 'acme', '--logo', join(dir, 'logo.png'), '--accent', '#0B6BCB', '--terms-url', 'https://acme.example/terms', '--privacy-url', 'https://acme.example/privacy', '--json']);
    assert.equal(tenant.branding.accent, '#0b6bcb');
    assert.match(tenant.branding.logo_url!, /^\/oauth\/assets\/tenants\/acme\/logo\?v=/);
    assert.equal(tenant.branding.terms_url, 'https://acme.example/terms');
    assert.equal(tenant.branding.privacy_url, 'https://acme.example/privacy');
    const text = await run(['tenant', 'branding', 'acme']);
    assert.equal(text.code, 0);
    assert.equal(text.stdout.trim(), 'updated the branding of tenant acme (accent #0b6bcb, logo image/png, terms https://acme.example/terms, privacy https://acme.example/privacy)', 'no flag: nothing changes');
  });

  it('clears the logo with --clear-logo and a link with an empty value', async () => {
    const tenant = await json<TenantJson>(['tenant', 'branding', 'acme', '--clear-logo', '--terms-url', '', '--json']);
    assert.deepEqual(tenant.branding, { accent: '#0b6bcb', logo_url: null, terms_url: null, privacy_url: 'https://acme.example/privacy' });
  });

  it('refuses a bad colour, URL or file with a message naming it, and a non-zero exit', async () => {
    for (const [args, message] of [
      [['--accent', 'blue'], /accent "blue": expected a colour as #rrggbb/],
      [['--terms-url', 'ftp://acme.example/terms'], /terms URL "ftp:\/\/acme.example\/terms": expected an https URL/],
      [['--logo', join(dir, 'logo.txt')], /logo: the logo must be a PNG, JPEG, WebP or SVG image/],
      [['--logo', join(dir, 'missing.png')], /--logo .*missing\.png: cannot be read \(ENOENT\)/],
      [['--logo', join(dir, 'logo.png'), '--clear-logo'], /give --logo or --clear-logo, not both/],
    ] as const) {
      const result = await run(['tenant', 'branding', 'acme', ...args]);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, message);
    }
    const unknown = await run(['tenant', 'branding', 'nope', '--accent', '#000000']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown tenant "nope"/);
  });
});
