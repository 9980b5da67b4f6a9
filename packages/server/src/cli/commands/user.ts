import type { Command } from 'commander';
import { toUserResource } from '../../core/admin/resources.js';
import { dbOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import { readPassword, type Io } from '../io.js';

const PASSWORD_STDIN = 'read the password (one line, at least 10 characters) from standard input';

export function registerUserCommands(program: Command, io: Io): void {
  const user = program.command('user').description('manage the users who log in (to grant applications access)');
  user
    .command('create')
    .description('create a user in a tenant; the password is read from standard input')
    .requiredOption('--tenant <slug>', 'tenant the user belongs to (add more with user add-tenant)')
    .requiredOption('--username <name>', '1-64 letters, digits and . _ @ + - (unique, compared ignoring case)')
    .option('--password-stdin', PASSWORD_STDIN)
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: OutputOptions & { tenant: string; username: string; passwordStdin?: boolean }) => {
      const password = await readPassword(options, io);
      await runCommand(io, options, (g) => g.admin.users.create({ tenant: options.tenant, username: options.username, password }), {
        json: toUserResource,
        text: (created) => `created user ${created.username} in tenant ${options.tenant}`,
      });
    });
  user
    .command('add-tenant <username> <slug>')
    .description('let a user also act in another tenant (does nothing if it already belongs to it)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, slug: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.addToTenant(username, slug), {
        json: ({ user: updated }) => toUserResource(updated),
        text: ({ user: updated, added }) => (added ? `user ${updated.username} now belongs to tenant ${slug}` : `user ${updated.username} already belongs to tenant ${slug}`),
      }),
    );
  user
    .command('remove-tenant <username> <slug>')
    .description("remove a user from a tenant (not its last): its grants that include the tenant are revoked")
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, slug: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.removeFromTenant(username, slug), {
        json: ({ user: updated, revokedGrants }) => ({ ...toUserResource(updated), revoked_grants: revokedGrants }),
        text: ({ user: updated, revokedGrants }) => `user ${updated.username} removed from tenant ${slug}; ${revokedGrants} grant(s) revoked`,
      }),
    );
  user
    .command('list')
    .description("list a tenant's users")
    .requiredOption('--tenant <slug>', 'tenant')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { tenant: string }) =>
      runCommand(io, options, (g) => g.admin.users.list(options.tenant), {
        json: (users) => listJson('users', users.map(toUserResource)),
        text: (users) =>
          users.length === 0 ? 'no users' : users.map((u) => `${u.username}\t${u.tenants.map((t) => t.slug).join(',')}${u.disabled ? '\t(disabled)' : ''}`).join('\n'),
      }),
    );
  user
    .command('set-password <username>')
    .description("replace a user's password, read from standard input (ends the user's sign-in sessions)")
    .option('--password-stdin', PASSWORD_STDIN)
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (username: string, options: OutputOptions & { passwordStdin?: boolean }) => {
      const password = await readPassword(options, io);
      await runCommand(io, options, (g) => g.admin.users.setPassword(username, password), {
        json: toUserResource,
        text: (updated) => `password of user ${updated.username} changed`,
      });
    });
  user
    .command('disable <username>')
    .description('disable a user: it can no longer log in; its sign-in sessions end and its grants are revoked')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.disable(username), {
        json: toUserResource,
        text: (disabled) => `user ${disabled.username} disabled: it can no longer log in`,
      }),
    );
  user
    .command('revoke-sessions <username>')
    .description('sign a user out everywhere: end its sign-in sessions (/oauth/authorize and /account ask for the password again)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.revokeSessions(username), {
        json: ({ user: updated, ended }) => ({ ...toUserResource(updated), ended_sessions: ended }),
        text: ({ user: updated, ended }) => `user ${updated.username} signed out: ${ended} session(s) ended`,
      }),
    );
  user
    .command('enable <username>')
    .description('re-enable a disabled user')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.enable(username), {
        json: toUserResource,
        text: (enabled) => `user ${enabled.username} enabled`,
      }),
    );
  user
    .command('delete <username>')
    .description('delete a user for good: its grants are revoked (and their tokens), its consents forgotten, its account erased; the username becomes free')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((username: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.users.delete(username), {
        json: (deleted) => ({ ...toUserResource(deleted), deleted: true }),
        text: (deleted) => `user ${deleted.username} deleted: its grants are revoked and its account erased`,
      }),
    );
}
