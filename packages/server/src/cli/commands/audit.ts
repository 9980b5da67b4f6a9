import { Option, type Command } from 'commander';
import { toAuditPageResource, type AuditEventResource } from '../../core/admin/resources.js';
import { MAX_AUDIT_PAGE, parseSince } from '../../core/audit.js';
import { ValidationError } from '../../core/errors.js';
import { dbOption, jsonOption, runCommand, type OutputOptions } from '../command.js';
import type { Io } from '../io.js';

interface ListOptions extends OutputOptions {
  tenant?: string;
  action?: string;
  actor?: string;
  since?: string;
  limit?: number;
  cursor?: string;
}

function parseLimit(value: string): number {
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) < 1 || Number(value) > MAX_AUDIT_PAGE) {
    throw new ValidationError(`invalid --limit "${value}": use a whole number from 1 to ${MAX_AUDIT_PAGE}`);
  }
  return Number(value);
}

function formatEvent(event: AuditEventResource): string {
  const details = Object.keys(event.details).length > 0 ? `\t${JSON.stringify(event.details)}` : '';
  return `${event.time}\t${event.actor}\t${event.tenant ?? '-'}\t${event.action}\t${event.target ?? '-'}\t${event.outcome}${details}`;
}

export function registerAuditCommands(program: Command, io: Io): void {
  const audit = program.command('audit').description('the audit log: admin actions and security events');
  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--tenant <slug>', 'only events of this tenant')
    .option('--action <action>', 'only this action, e.g. client.rotate_secret or refresh_token.reuse')
    .option('--actor <actor>', 'only events of this actor (cli, system, a client id, anonymous, …)')
    .option('--since <when>', 'only events since a duration ago (24h, 7d) or an ISO 8601 time')
    .addOption(new Option('--limit <n>', `events per page, 1-${MAX_AUDIT_PAGE} (default 50)`).argParser(parseLimit))
    .option('--cursor <cursor>', 'continue after the page whose "next" this is')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action((options: ListOptions) => {
      const since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
      return runCommand(
        io,
        options,
        async (g) =>
          toAuditPageResource(
            await g.audit.list({ tenant: options.tenant, action: options.action, actor: options.actor, since, limit: options.limit, cursor: options.cursor }),
          ),
        {
          json: (page) => page,
          text: (page) =>
            page.items.length === 0
              ? 'no audit events'
              : [...page.items.map(formatEvent), ...(page.next ? [`(more: --cursor ${page.next})`] : [])].join('\n'),
        },
      );
    });
}
