import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { ValidationError } from '../core/errors.js';

/**
 * What a command reads and writes besides the database: output lines, standard input
 * and the environment. `main` takes one, so tests (and an embedding application) run
 * commands in-process and capture what they print.
 */
export interface Io {
  /** One line (or several joined by \n) for standard output. */
  out(text: string): void;
  /** One line (or several) for standard error. */
  err(text: string): void;
  /** All of standard input, for --password-stdin (default: the process's). */
  input?(): Promise<string>;
  /**
   * Asks `question` on the terminal and reads one line without echoing it. Present only
   * when standard input is a terminal: --password-stdin then prompts for the password
   * (twice) instead of reading standard input to its end.
   */
  promptHidden?(question: string): Promise<string>;
  /** The environment the GATEHOUSE_* settings are read from (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  ...(isatty(0) ? { promptHidden: promptOnTerminal } : {}),
};

/** The question goes to stderr (stdout may carry --json output); what is typed is not echoed. */
async function promptOnTerminal(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      terminal.question(`${question} `, resolve);
      muted = true;
      terminal.once('SIGINT', () => reject(new ValidationError('cancelled: no password entered')));
      terminal.once('close', () => reject(new ValidationError('no password entered (standard input closed)')));
    });
  } finally {
    terminal.close();
    process.stderr.write('\n');
  }
}

/** A password is far shorter; a bigger input is a mistake (a file piped by accident). */
const MAX_PASSWORD_INPUT_BYTES = 8192;

async function readProcessStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValidationError('--password-stdin reads the password from a pipe or a file, not from a terminal: e.g. printf \'%s\\n\' "$PASSWORD" | gatehouse user create …');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > MAX_PASSWORD_INPUT_BYTES) throw new ValidationError(`standard input is too long for a password (over ${MAX_PASSWORD_INPUT_BYTES} bytes)`);
    chunks.push(bytes);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ValidationError('the password on standard input is not valid UTF-8');
  }
}

/**
 * The password of --password-stdin: asked twice, hidden, when standard input is a
 * terminal (Io.promptHidden); else one line read from it, its trailing newline stripped. Never
 * taken from the command line, where `ps` and the shell history would show it; error
 * messages never repeat it.
 */
export async function readPassword(options: { passwordStdin?: boolean }, io: Io): Promise<string> {
  if (!options.passwordStdin) {
    throw new ValidationError('give the password on standard input with --password-stdin (never on the command line, where other users and the shell history can see it)');
  }
  if (io.promptHidden) {
    const password = await io.promptHidden('Password:');
    const repeated = await io.promptHidden('Repeat password:');
    if (password !== repeated) throw new ValidationError('the two passwords differ; nothing was changed');
    return password;
  }
  const text = await (io.input ?? readProcessStdin)();
  const line = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (/[\r\n]/.test(line)) throw new ValidationError('--password-stdin reads one line, but standard input holds several');
  return line;
}
