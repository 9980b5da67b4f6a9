import type { Command } from 'commander';
import { toScopeResource } from '../../core/admin/resources.js';
import { dbOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

export function registerScopeCommands(program: Command, io: Io): void {
  const scope = program.command('scope').description("manage a tenant's scopes and the descriptions the consent page shows");
  scope
    .command('create <name>')
    .description("add a scope to a tenant's catalogue, or change its description")
    .requiredOption('--tenant <slug>', 'tenant')
    .requiredOption('--description <text>', 'what the scope lets an application do, as the consent page shows it')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((name: string, options: OutputOptions & { tenant: string; description: string }) =>
      runCommand(io, options, (g) => g.admin.scopes.create({ tenant: options.tenant, name, description: options.description }), {
        json: (created) => toScopeResource(created, options.tenant),
        text: (created) => `scope ${created.name} of tenant ${options.tenant}: ${created.description}`,
      }),
    );
  scope
    .command('delete <name>')
    .description("remove a scope from a tenant's catalogue; clients that list it keep the name, which the consent page then shows without a description")
    .requiredOption('--tenant <slug>', 'tenant')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((name: string, options: OutputOptions & { tenant: string }) =>
      runCommand(io, options, (g) => g.admin.scopes.delete({ tenant: options.tenant, name }), {
        json: () => ({ tenant: options.tenant, name, deleted: true }),
        text: () => `scope ${name} removed from tenant ${options.tenant}`,
      }),
    );
  scope
    .command('list')
    .description("list a tenant's scopes with their descriptions")
    .requiredOption('--tenant <slug>', 'tenant')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions & { tenant: string }) =>
      runCommand(io, options, (g) => g.admin.scopes.list(options.tenant), {
        json: (scopes) => listJson('scopes', scopes.map((s) => toScopeResource(s))),
        text: (scopes) => (scopes.length === 0 ? 'no scopes' : scopes.map((s) => `${s.name}\t${s.description || '(no description)'}`).join('\n')),
      }),
    );
}
