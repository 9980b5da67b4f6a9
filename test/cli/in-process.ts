/**
 * Runs `gatehouse …` in this process through `main(argv, io)`, the function
 * bin/gatehouse.js calls, with a capturing Io: what a command prints, its exit code, its
 * standard input. Each command opens and closes its own database as it does when
 * spawned. The environment a command sees is only `env` (none of the developer's
 * GATEHOUSE_* settings, as helpers/process.ts's childEnv ensures for spawned commands),
 * and process.env is never touched.
 */
import { main, type Io } from '../../packages/server/src/cli/main.js';

export interface CliRun {
  /** The exit code `main` resolved to (what the process would exit with). */
  code: number;
  /** Every line printed, each followed by \n, as the process would write it. */
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The command's environment (GATEHOUSE_* settings); default: none. */
  env?: Record<string, string>;
  /** Standard input (for --password-stdin); default: empty, as when stdin is closed. */
  input?: string;
  /** A terminal's hidden prompt (Io.promptHidden): given, standard input is a terminal. */
  promptHidden?: (question: string) => Promise<string>;
}

/** Runs `gatehouse ...args`; never rejects on a non-zero exit. */
export async function runCli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (text) => (stdout += `${text}\n`),
    err: (text) => (stderr += `${text}\n`),
    input: async () => options.input ?? '',
    env: { ...options.env },
    ...(options.promptHidden ? { promptHidden: options.promptHidden } : {}),
  };
  const code = await main(['node', 'gatehouse', ...args], io);
  return { code, stdout, stderr };
}

/** Runs the command and fails with its output unless it exits 0. */
export async function cliOk(args: string[], options: RunOptions = {}): Promise<CliRun> {
  const result = await runCli(args, options);
  if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** Runs the command with --json and parses the whole of stdout as one JSON value. */
export async function cliJson<T = Record<string, unknown>>(args: string[], options: RunOptions = {}): Promise<T> {
  const result = await cliOk([...args, '--json'], options);
  return JSON.parse(result.stdout) as T;
}
