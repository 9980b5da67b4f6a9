import type { Command } from 'commander';
import { toNewSigningKeyResource, toSigningKeyResource } from '../../core/admin/resources.js';
import { ValidationError } from '../../core/errors.js';
import { isSigningAlgorithm } from '../../core/types.js';
import { dbOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

export function registerKeysCommands(program: Command, io: Io): void {
  const keys = program.command('keys').description('manage token signing keys');
  keys
    .command('rotate')
    .description('make a new signing key active at once; old keys stay published until their tokens expire')
    .option('--alg <alg>', 'ES256 or RS256 (default: the active key\'s algorithm, else GATEHOUSE_SIGNING_ALG)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: OutputOptions & { alg?: string }) => {
      const alg = options.alg?.toUpperCase();
      if (alg !== undefined && !isSigningAlgorithm(alg)) throw new ValidationError(`unsupported algorithm "${options.alg}": use ES256 or RS256`);
      await runCommand(io, options, (g) => g.admin.keys.rotate(alg), {
        json: toNewSigningKeyResource,
        text: (key) => `new active signing key ${key.kid} (${key.alg}); running servers switch to it within a second`,
      });
    });
  keys
    .command('list')
    .description('list published signing keys')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: OutputOptions) =>
      runCommand(io, options, async (g) => (await g.admin.keys.listPublished()).map(toSigningKeyResource), {
        json: (rows) => listJson('keys', rows),
        text: (rows) => rows.map((r) => `${r.kid}\t${r.alg}\t${r.active ? 'active' : `retired, published until ${r.published_until}`}`).join('\n'),
      }),
    );
  keys
    .command('withdraw <kid>')
    .description('remove a retired (e.g. compromised) key from the JWKS at once; tokens it signed stop verifying')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((kid: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.keys.withdraw(kid), {
        // The key is gone from the JWKS, so there is no key resource left to show.
        json: () => ({ kid, withdrawn: true }),
        text: () => `key ${kid} withdrawn: running servers stop publishing and accepting it within a second`,
      }),
    );
}
