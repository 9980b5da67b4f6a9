import { Option, type Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { toClientResource, toCreatedClientResource, toRotatedSecretResource } from '../../core/admin/resources.js';
import { formatDuration } from '../../core/duration.js';
import { collect, dbOption, durationOption, jsonOption, listJson, runCommand, type OutputOptions } from '../command.js';
import { redirectUriProblem } from '../../core/redirect-uri.js';
import type { Client } from '../../core/types.js';
import type { Io } from '../io.js';

interface CreateClientOptions extends OutputOptions {
  tenant?: string;
  operator?: boolean;
  name: string;
  grantType?: string[];
  scope?: string;
  defaultScope?: string;
  redirectUri?: string[];
  public?: boolean;
  resourceServer?: boolean;
  accessTokenTtl?: number;
  refreshIdleTtl?: number;
  refreshAbsoluteTtl?: number;
  refreshGrace?: number;
}

interface UpdateClientOptions extends OutputOptions {
  name?: string;
  grantType?: string[];
  scope?: string;
  defaultScope?: string;
  redirectUri?: string[];
  /** `default`: back to the tenant's lifetime. */
  accessTokenTtl?: number | 'default';
  refreshIdleTtl?: number;
  refreshAbsoluteTtl?: number;
  refreshGrace?: number;
}

export function registerClientCommands(program: Command, io: Io): void {
  const client = program.command('client').description('manage API clients');
  client
    .command('create')
    .description('register a client; the secret is shown once')
    .option('--tenant <slug>', 'tenant the client belongs to')
    .option('--operator', 'a deployment-wide operator client instead (no tenant): its gatehouse:admin tokens manage every tenant through the admin API')
    .requiredOption('--name <text>', 'display name')
    .option('--grant-type <type>', 'allowed grant type, repeatable (default client_credentials)', collect)
    .option('--scope <scopes>', 'space-delimited scopes the client may request')
    .option('--default-scope <scopes>', 'scopes granted when a request names none')
    .option('--redirect-uri <url>', 'registered redirect URI, repeatable: https, loopback http (127.0.0.1, [::1], localhost) or a private-use scheme such as com.example.app:', collect)
    .option('--public', 'a public client (no secret)')
    .option('--resource-server', 'a resource server of the API provider: may read the revocation feed and introspect every tenant')
    .addOption(durationOption('--access-token-ttl <duration>', 'access token lifetime, e.g. 12h or 3600s (default: the tenant\'s, else 1h)'))
    .addOption(durationOption('--refresh-idle-ttl <duration>', 'a refresh token unused this long expires, e.g. 14d (default 30d)'))
    .addOption(durationOption('--refresh-absolute-ttl <duration>', 'no refresh token is honoured this long after the user\'s authorization, e.g. 90d (default 1y)'))
    .addOption(durationOption('--refresh-grace <duration>', 'a rotated refresh token presented again this soon is taken for a lost response, at most 5m (default: none)'))
    .addOption(jsonOption())
    .addOption(dbOption())
    .hook('preAction', (command) => checkTenantOrOperator(command, OPERATOR_CREATE_CONFLICTS))
    .action((options: CreateClientOptions) =>
      runCommand(
        io,
        options,
        (g) =>
          options.operator
            ? g.admin.operatorClients.create({ name: options.name, scope: options.scope, accessTokenTtl: options.accessTokenTtl ?? null })
            : g.admin.clients.create({
                tenant: options.tenant!,
                name: options.name,
                grantTypes: options.grantType,
                scope: options.scope,
                defaultScope: options.defaultScope,
                redirectUris: options.redirectUri,
                isPublic: options.public ?? false,
                resourceServer: options.resourceServer ?? false,
                accessTokenTtl: options.accessTokenTtl ?? null,
                refreshIdleTtl: options.refreshIdleTtl ?? null,
                refreshAbsoluteTtl: options.refreshAbsoluteTtl ?? null,
                refreshGraceSeconds: options.refreshGrace ?? null,
              }),
        {
          json: toCreatedClientResource,
          text: ({ client: created, secret }) =>
            [
              created.tenantSlug === null
                ? `created operator client "${created.name}" (no tenant: its gatehouse:admin tokens manage every tenant)`
                : `created client "${created.name}" in tenant ${created.tenantSlug}`,
              `  client_id:     ${created.id}`,
              ...(secret === undefined ? [] : [`  client_secret: ${secret}`, 'store the secret now: it is shown only once (only a digest is kept)']),
            ].join('\n'),
        },
      ),
    );
  client
    .command('update <client_id>')
    .description("change a client's settings; the flags given replace the stored values (the secret and the client type stay)")
    .option('--name <text>', 'display name')
    .option('--scope <scopes>', 'space-delimited scopes the client may request (replaces the list)')
    .option('--default-scope <scopes>', 'scopes granted when a request names none (replaces the list)')
    .option('--redirect-uri <url>', 'registered redirect URI, repeatable (replaces the list): https, loopback http or a private-use scheme such as com.example.app:', collect)
    .option('--grant-type <type>', 'allowed grant type, repeatable (replaces the list)', collect)
    .addOption(
      new Option('--access-token-ttl <duration>', "access token lifetime, e.g. 12h or 3600s; `default`: back to the tenant's lifetime").argParser((value: string) =>
        value.trim().toLowerCase() === 'default' ? 'default' : parseDuration(value),
      ),
    )
    .addOption(durationOption('--refresh-idle-ttl <duration>', 'a refresh token unused this long expires, e.g. 14d'))
    .addOption(durationOption('--refresh-absolute-ttl <duration>', "no refresh token is honoured this long after the user's authorization, e.g. 90d"))
    .addOption(durationOption('--refresh-grace <duration>', 'a rotated refresh token presented again this soon is taken for a lost response, at most 5m'))
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: UpdateClientOptions) =>
      runCommand(
        io,
        options,
        (g) =>
          g.admin.clients.update(clientId, {
            name: options.name,
            grantTypes: options.grantType,
            scope: options.scope,
            defaultScope: options.defaultScope,
            redirectUris: options.redirectUri,
            // commander keeps no null: `default` is mapped here.
            accessTokenTtl: options.accessTokenTtl === 'default' ? null : options.accessTokenTtl,
            refreshIdleTtl: options.refreshIdleTtl,
            refreshAbsoluteTtl: options.refreshAbsoluteTtl,
            refreshGraceSeconds: options.refreshGrace,
          }),
        { json: toClientResource, text: showClient },
      ),
    );
  client
    .command('delete <client_id>')
    .description('delete a client: it can no longer get tokens, its tokens, grants and refresh tokens stop working; its id is never reused')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.clients.delete(clientId), {
        json: toClientResource,
        text: (deleted) => `client ${deleted.id} ("${deleted.name}") deleted; its tokens are revoked`,
      }),
    );
  client
    .command('list')
    .description("list a tenant's clients, or the operator clients")
    .option('--tenant <slug>', 'tenant')
    .option('--operator', 'the operator clients (they belong to no tenant)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .hook('preAction', (command) => checkTenantOrOperator(command, []))
    .action((options: OutputOptions & { tenant?: string; operator?: boolean }) =>
      runCommand(io, options, (g) => (options.operator ? g.admin.operatorClients.list() : g.admin.clients.list(options.tenant!)), {
        json: (clients) => listJson('clients', clients.map(toClientResource)),
        text: (clients) => (clients.length === 0 ? 'no clients' : clients.map((c) => `${c.id}\t${c.name}${c.disabled ? '\t(disabled)' : ''}`).join('\n')),
      }),
    );
  client
    .command('rotate-secret <client_id>')
    .description(
      "issue a new secret. Without --grace the old one stops at once and the client's access tokens are revoked at once; its refresh tokens survive (they cannot be used without the new secret), so its users need not sign in again",
    )
    .addOption(durationOption('--grace <duration>', 'keep the old secret working this long (e.g. 24h); access tokens stay valid'))
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: OutputOptions & { grace?: number }) =>
      runCommand(io, options, (g) => g.admin.clients.rotateSecret(clientId, { graceSeconds: options.grace ?? 0 }), {
        json: toRotatedSecretResource,
        text: (rotated) => {
          const until = toRotatedSecretResource(rotated).previous_secret_expires_at;
          return [
            `new secret for client ${rotated.client.id}:`,
            `  client_secret: ${rotated.secret}`,
            until === null
              ? "the old secret no longer works and the client's access tokens are revoked; its refresh tokens still work with the new secret"
              : `the old secret keeps working until ${until} (${formatDuration(options.grace ?? 0)})`,
          ].join('\n');
        },
      }),
    );
  client
    .command('show <client_id>')
    .description('show a client (never its secret)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: OutputOptions) =>
      runCommand(
        io,
        options,
        async (g) => {
          const shown = await g.admin.clients.get(clientId);
          // Registered under an earlier, laxer rule: it keeps working, but the operator should replace it.
          for (const uri of shown.redirectUris) {
            const problem = redirectUriProblem(uri);
            if (problem !== undefined) io.err(`warning: redirect URI ${JSON.stringify(uri)} would be refused today (${problem}); it still works: replace it with client update --redirect-uri`);
          }
          return shown;
        },
        { json: toClientResource, text: showClient },
      ),
    );
  client
    .command('disable <client_id>')
    .description('disable a client: it can no longer get tokens; its tokens and grants are revoked for good')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.clients.disable(clientId), {
        json: toClientResource,
        text: (disabled) => `client ${disabled.id} disabled; its tokens are revoked`,
      }),
    );
  client
    .command('enable <client_id>')
    .description('re-enable a disabled client (tokens revoked by disabling stay revoked)')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((clientId: string, options: OutputOptions) =>
      runCommand(io, options, (g) => g.admin.clients.enable(clientId), {
        json: toClientResource,
        text: (enabled) => `client ${enabled.id} enabled`,
      }),
    );
}

/** A client as `key: value` lines (never its secret). */
function showClient(client: Client): string {
  return Object.entries(toClientResource(client))
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(' ') : key === 'tenant' && value === null ? '(none: operator client)' : String(value)}`)
    .join('\n');
}

/** The options of `client create` an operator client cannot have (their attribute names): it is confidential, client_credentials only, scope gatehouse:admin. */
const OPERATOR_CREATE_CONFLICTS = ['grantType', 'defaultScope', 'redirectUri', 'public', 'resourceServer', 'refreshIdleTtl', 'refreshAbsoluteTtl', 'refreshGrace'];

/**
 * `--tenant <slug>` or `--operator`, exactly one; with `--operator`, none of `conflicts`.
 * A usage error otherwise (exit status 2, as for a missing required option).
 */
function checkTenantOrOperator(command: Command, conflicts: readonly string[]): void {
  const options = command.opts<{ tenant?: string; operator?: boolean }>();
  if (options.operator && options.tenant !== undefined) command.error('error: give --tenant <slug> or --operator, not both (operator clients belong to no tenant)', { exitCode: 2 });
  if (!options.operator && options.tenant === undefined) command.error("error: required option '--tenant <slug>' not specified (or --operator for the operator clients)", { exitCode: 2 });
  if (!options.operator) return;
  const flags = command.options.filter((option) => conflicts.includes(option.attributeName()) && command.getOptionValue(option.attributeName()) !== undefined).map((option) => option.long);
  if (flags.length > 0) {
    command.error(`error: --operator cannot be combined with ${flags.join(', ')}: an operator client belongs to no tenant, is confidential and uses client_credentials with scope gatehouse:admin only`, { exitCode: 2 });
  }
}
