import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { configFromEnv, environmentSources, loadConfig, type Config, type ConfigInput, type ConfigSources } from '../core/config.js';
import { parseDuration } from '../core/duration.js';
import { ValidationError } from '../core/errors.js';
import { openGatehouse, type Gatehouse, type OpenOptions } from '../server/context.js';
import { parseDatabaseUrl } from '../store/sql/index.js';
import type { Io } from './io.js';

/** The options every command that opens the database takes. */
export interface DatabaseOptions {
  db?: string;
}

export interface OutputOptions extends DatabaseOptions {
  json?: boolean;
}

/**
 * The configuration of one command: the environment, then --db, then the command's own
 * flags (`flags` names the flag of each override, so an error names what was typed).
 */
export function configFor(io: Io, options: DatabaseOptions, overrides: ConfigInput = {}, flags: ConfigSources = {}): Config {
  const env = io.env ?? process.env;
  return loadConfig(
    { ...configFromEnv(env), ...(options.db ? { databaseUrl: options.db } : {}), ...overrides },
    { ...environmentSources(env), ...(options.db ? { databaseUrl: '--db' } : {}), ...flags },
  );
}

/**
 * Opens the database for one command, runs `action`, and closes it, also on error.
 * With `always` (migrate) the database is created if need be and migrated. Otherwise
 * (`if-fresh`) an empty PostgreSQL database is set up and one in use is never migrated
 * behind the servers' back; a SQLite file that does not exist is refused rather than
 * created, so a mistyped path or a command run from the wrong directory does not start
 * an empty database of its own (only `serve` and `migrate` create one).
 */
export async function withGatehouse<T>(
  io: Io,
  options: DatabaseOptions,
  action: (gatehouse: Gatehouse) => Promise<T>,
  migrate: NonNullable<OpenOptions['migrate']> = 'if-fresh',
): Promise<T> {
  const config = configFor(io, options);
  const target = parseDatabaseUrl(config.databaseUrl);
  if (migrate === 'if-fresh' && target.dialect === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
    throw new ValidationError(
      `no database at ${resolve(target.path)} (run \`gatehouse migrate\` or \`gatehouse serve\` first, or pass --db / GATEHOUSE_DATABASE_URL)`,
    );
  }
  // The audit events of a command are in the database; only one the database refused is
  // shown (on stderr), so it is not lost (core/audit.ts).
  const gatehouse = await openGatehouse(config, {
    migrate,
    // A command serves no one while it waits: it may wait longer than a server's request
    // for a lock held by a busy server or another command.
    lockWaitMs: CLI_LOCK_WAIT_MS,
    auditLog: (line, failure) => {
      if (failure) io.err(`warning: the action was done, but its audit event could not be stored: ${JSON.stringify(line)}`);
    },
  });
  try {
    return await action(gatehouse);
  } finally {
    await gatehouse.close();
  }
}


/** How long a command's write waits for a SQLite lock held by another process. */
const CLI_LOCK_WAIT_MS = 10_000;
/** How a command shows its result. */
export interface Output<T> {
  /** The one JSON object --json prints (src/core/admin/resources.ts). */
  json?: (result: T) => unknown;
  /** The text printed otherwise (lines joined with \n). */
  text: (result: T) => string;
}

/**
 * The shape of every admin command: open the database, call one service, close, then
 * print the result as one JSON object with --json, else as text. Nothing is printed on
 * stdout when the action fails (`main` prints the error on stderr).
 */
export async function runCommand<T>(io: Io, options: OutputOptions, action: (gatehouse: Gatehouse) => Promise<T>, output: Output<T>): Promise<void> {
  const result = await withGatehouse(io, options, action);
  io.out(options.json && output.json ? JSON.stringify(output.json(result)) : output.text(result));
}

/**
 * The --json of a list: `{"items": [...], "next": null}` (`next` is the cursor of a
 * following page; lists are not paged yet). The list's older key (`tenants`, `clients`
 * …) holds the same array, deprecated, for scripts written before `items`.
 */
export function listJson<T>(deprecatedKey: string, items: T[]): { items: T[]; next: null } & Record<string, T[] | null> {
  return { items, next: null, [deprecatedKey]: items };
}

export const dbOption = () => new Option('--db <url>', 'database URL (sqlite:<path> or postgres://…); env GATEHOUSE_DATABASE_URL');

export const jsonOption = () => new Option('--json', 'print one JSON object');

export function durationOption(flag: string, description: string): Option {
  return new Option(flag, description).argParser((value: string) => parseDuration(value));
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
