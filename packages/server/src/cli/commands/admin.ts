import type { Command } from 'commander';
import { toAdminAccountResource } from '../../core/admin/resources.js';
import type { AdminAccount } from '../../core/storage.js';
import { dbOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import { readPassword, type Io } from '../io.js';

const PASSWORD_STDIN = 'read the password (one line, at least 10 characters) from standard input; at a terminal, asked twice without echo';
const USERNAME = '1-64 letters, digits and . _ @ + - (unique among admin accounts, compared ignoring case)';

const describeAccount = (account: AdminAccount) => (account.tenantSlug === null ? `operator ${account.username}` : `tenant admin ${account.username} of ${account.tenantSlug}`);

/**
 * `gatehouse admin …`: the operator and tenant-admin accounts of the dashboard (/admin).
 * Run on the server, these are also the way back in when every operator is locked out
 * (reset-password, disable-mfa).
 */
export function registerAdminCommands(program: Command, io: Io): void {
  const admin = program.command('admin').description('manage the operator and tenant-admin accounts that sign in to the dashboard (/admin)');
  admin
    .command('create')
    .description('create an operator account (every tenant), or with --tenant a tenant admin (that tenant only)')
    .option('--tenant <slug>', 'the tenant a tenant admin manages (omit for an operator)')
    .requiredOption('--username <name>', USERNAME)
    .option('--password-stdin', PASSWORD_STDIN)
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: OutputOptions & { tenant?: string; username: string; passwordStdin?: boolean }) => {
      const password = await readPassword(options, io);
      await runCommand(io, options, (g) => g.admin.accounts.create({ tenant: options.tenant ?? null, username: options.username, password }), {
        json: toAdminAccountResource,
        text: (created) => `created ${describeAccount(created)}; sign in at /admin/login`,
      });
    });
  admin
    .command('list')
    .description('list the admin accounts (all, or one tenant\'s admins)')
    .option('--tenant <slug>', "only this tenant's admins")
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { tenant?: string }) =>
      runCommand(io, options, (g) => g.admin.accounts.list(options.tenant === undefined ? {} : { tenant: options.tenant }), {
        json: (accounts) => listJson('admins', accounts.map(toAdminAccountResource)),
        text: (accounts) =>
          accounts.length === 0
            ? 'no admin accounts (create an operator with: gatehouse admin create --username NAME --password-stdin)'
            : accounts
                .map((a) => [a.username, a.tenantSlug ?? 'operator', a.mfaEnabled ? 'mfa' : 'no-mfa', ...(a.disabled ? ['(disabled)'] : [])].join('\t'))
                .join('\n'),
      }),
    );
  admin
    .command('delete')
    .description('delete an admin account (its sessions end)')
    .requiredOption('--username <name>', 'the account')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { username: string }) =>
      runCommand(io, options, (g) => g.admin.accounts.delete(options.username), {
        json: (deleted) => ({ ...toAdminAccountResource(deleted), deleted: true }),
        text: (deleted) => `deleted ${describeAccount(deleted)}`,
      }),
    );
  admin
    .command('reset-password')
    .description("replace an admin account's password, read from standard input (its sessions end)")
    .requiredOption('--username <name>', 'the account')
    .option('--password-stdin', PASSWORD_STDIN)
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: OutputOptions & { username: string; passwordStdin?: boolean }) => {
      const password = await readPassword(options, io);
      await runCommand(io, options, (g) => g.admin.accounts.resetPassword(options.username, password), {
        json: toAdminAccountResource,
        text: (updated) => `password of ${describeAccount(updated)} replaced; its sessions ended`,
      });
    });
  admin
    .command('disable-mfa')
    .description('remove the TOTP second factor and recovery codes of an admin account (a lost authenticator; its sessions end)')
    .requiredOption('--username <name>', 'the account')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { username: string }) =>
      runCommand(io, options, (g) => g.admin.accounts.disableMfa(options.username), {
        json: toAdminAccountResource,
        text: (updated) => `second factor of ${describeAccount(updated)} removed; it signs in with its password until it enrols again`,
      }),
    );
  admin
    .command('disable')
    .description('disable an admin account: it can no longer sign in (its sessions end)')
    .requiredOption('--username <name>', 'the account')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { username: string }) =>
      runCommand(io, options, (g) => g.admin.accounts.disable(options.username), {
        json: toAdminAccountResource,
        text: (updated) => `${describeAccount(updated)} disabled`,
      }),
    );
  admin
    .command('enable')
    .description('re-enable a disabled admin account')
    .requiredOption('--username <name>', 'the account')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { username: string }) =>
      runCommand(io, options, (g) => g.admin.accounts.enable(options.username), {
        json: toAdminAccountResource,
        text: (updated) => `${describeAccount(updated)} enabled`,
      }),
    );
}
