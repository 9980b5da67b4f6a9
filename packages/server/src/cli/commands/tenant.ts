import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { toTenantResource } from '../../core/admin/resources.js';
import { dbOption, durationOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import { ValidationError } from '../../core/errors.js';
import type { Tenant } from '../../core/types.js';
import type { Io } from '../io.js';

export function registerTenantCommands(program: Command, io: Io): void {
  const tenant = program.command('tenant').description('manage tenants');
  tenant
    .command('create <slug>')
    .description('create a tenant (a workspace whose clients, users and documents are kept apart)')
    .option('--name <text>', 'display name (default: the slug)')
    .addOption(durationOption('--access-token-ttl <duration>', 'access token lifetime for its clients, e.g. 12h (default 1h)'))
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((slug: string, options: OutputOptions & { name?: string; accessTokenTtl?: number }) =>
      runCommand(io, options, (g) => g.admin.tenants.create({ slug, name: options.name, accessTokenTtl: options.accessTokenTtl ?? null }), {
        json: toTenantResource,
        text: (created) => `created tenant ${created.slug} (${created.name})`,
      }),
    );
  tenant
    .command('update <slug>')
    .description("change a tenant's name or access token lifetime (the slug never changes)")
    .option('--name <text>', 'display name')
    .addOption(durationOption('--access-token-ttl <duration>', 'access token lifetime for its clients, e.g. 12h'))
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((slug: string, options: OutputOptions & { name?: string; accessTokenTtl?: number }) =>
      runCommand(io, options, (g) => g.admin.tenants.update(slug, { name: options.name, accessTokenTtl: options.accessTokenTtl }), {
        json: toTenantResource,
        text: (updated) => `updated tenant ${updated.slug} (${updated.name})`,
      }),
    );
  tenant
    .command('branding <slug>')
    .description("set how a tenant's pages look: logo, accent colour, terms and privacy links (an empty value clears one)")
    .option('--logo <file>', 'logo image: PNG, JPEG, WebP or SVG, at most 256 KiB')
    .option('--clear-logo', 'remove the logo')
    .option('--accent <colour>', "accent colour as #rrggbb, e.g. '#0b6bcb'")
    .option('--terms-url <url>', 'link to the terms of service (https)')
    .option('--privacy-url <url>', 'link to the privacy policy (https)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((slug: string, options: OutputOptions & { logo?: string; clearLogo?: boolean; accent?: string; termsUrl?: string; privacyUrl?: string }) =>
      runCommand(
        io,
        options,
        (g) => g.admin.tenants.setBranding(slug, { accent: options.accent, termsUrl: options.termsUrl, privacyUrl: options.privacyUrl, logo: readLogo(options) }),
        {
          json: toTenantResource,
          text: (updated) => `updated the branding of tenant ${updated.slug} (${describeBranding(updated)})`,
        },
      ),
    );
  tenant
    .command('disable <slug>')
    .description("disable a tenant: its clients can no longer get tokens and their tokens are revoked")
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((slug: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.tenants.disable(slug), {
        json: toTenantResource,
        text: (disabled) => `tenant ${disabled.slug} disabled; its clients' tokens are revoked`,
      }),
    );
  tenant
    .command('enable <slug>')
    .description('re-enable a disabled tenant (tokens revoked by disabling stay revoked)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((slug: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.tenants.enable(slug), {
        json: toTenantResource,
        text: (enabled) => `tenant ${enabled.slug} enabled`,
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.tenants.list(), {
        json: (tenants) => listJson('tenants', tenants.map(toTenantResource)),
        text: (tenants) => (tenants.length === 0 ? 'no tenants yet (gatehouse tenant create <slug>)' : tenants.map((t) => `${t.slug}\t${t.name}${t.disabled ? '\t(disabled)' : ''}`).join('\n')),
      }),
    );
}

/** The logo's bytes from --logo (null with --clear-logo, undefined: unchanged). */
function readLogo(options: { logo?: string; clearLogo?: boolean }): Uint8Array | null | undefined {
  if (options.logo !== undefined && options.clearLogo) throw new ValidationError('give --logo or --clear-logo, not both');
  if (options.clearLogo) return null;
  if (options.logo === undefined) return undefined;
  try {
    return readFileSync(options.logo);
  } catch (error) {
    throw new ValidationError(`--logo ${options.logo}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function describeBranding(tenant: Tenant): string {
  const { accent, logo, termsUrl, privacyUrl } = tenant.branding;
  return [`accent ${accent ?? 'default'}`, `logo ${logo ? logo.contentType : 'none'}`, `terms ${termsUrl ?? 'none'}`, `privacy ${privacyUrl ?? 'none'}`].join(', ');
}
