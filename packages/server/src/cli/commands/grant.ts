import type { Command } from 'commander';
import { toGrantResource, toRevokedGrantResource } from '../../core/admin/resources.js';
import type { GrantView } from '../../core/admin/grants.js';
import { dbOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

const showGrant = ({ grant, clientName }: GrantView): string =>
  [
    grant.id,
    `${grant.clientId}${clientName === null ? '' : ` (${clientName})`}`,
    grant.tenants.join(',') || '-',
    grant.scope.join(' ') || '-',
    `created ${new Date(grant.createdAt).toISOString()}`,
    grant.revokedAt === null ? 'active' : `revoked ${new Date(grant.revokedAt).toISOString()}`,
  ].join('\t');

export function registerGrantCommands(program: Command, io: Io): void {
  const grant = program.command('grant').description('the access users gave applications (one grant per authorization)');
  grant
    .command('list')
    .description("list a user's grants, revoked ones included, oldest first")
    .requiredOption('--user <username>', 'the user (any letter case)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { user: string }) =>
      runCommand(io, options, (g) => g.admin.grants.listOfUser(options.user), {
        json: (grants) => listJson('grants', grants.map(toGrantResource)),
        text: (grants) => (grants.length === 0 ? 'no grants' : grants.map(showGrant).join('\n')),
      }),
    );
  grant
    .command('revoke <grant_id>')
    .description("revoke a grant (its refresh and access tokens stop) and forget the user's consent for its client")
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((grantId: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.grants.revoke(grantId), {
        json: toRevokedGrantResource,
        text: (revoked) =>
          `${revoked.revoked ? 'revoked' : 'already revoked:'} grant ${revoked.grant.id} of client ${revoked.grant.clientId}` +
          (revoked.consentForgotten ? '; the user will be asked to consent again' : ''),
      }),
    );
}
