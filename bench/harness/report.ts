// Shared pieces of the Markdown reports.
import { cpus, loadavg, totalmem } from 'node:os';

/** Server RSS under load, the target for a Gatehouse server (MB). */
export const RSS_TARGET_MB = 150;

export const PASS = '✅ PASS';
export const FAIL = '❌ FAIL';

export const mark = (ok: boolean): string => (ok ? PASS : FAIL);

/** When the run started, and the machine's load then. */
export interface MachineSnapshot {
  date: string;
  load: string;
}

export function machineSnapshot(): MachineSnapshot {
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return { date: new Date().toISOString(), load };
}

/** The load generator of the soak, and of the scenarios without wrk. */
export const AUTOCANNON = 'autocannon in the harness process';

/**
 * The report header: when, and on what (the figures only compare within one run on one
 * machine). `generator` says what sent the load (which generator drove which scenario).
 */
export function machineLines(title: string, settings: string, generator = AUTOCANNON, at: MachineSnapshot = machineSnapshot()): string[] {
  const cpu = cpus();
  return [
    `# ${title}`,
    '',
    `- date: ${at.date}`,
    `- machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; load average at start ${at.load} (a shared machine: compare ratios within this run, not absolute figures across runs)`,
    `- Node ${process.version}; ${settings}`,
    `- load generator: ${generator}`,
    '',
  ];
}

export const round0 = (value: number): string => String(Math.round(value));
export const round1 = (value: number): string => value.toFixed(1);

/** A Markdown table. */
export function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}
