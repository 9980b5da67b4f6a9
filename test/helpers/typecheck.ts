/**
 * Type-checks TypeScript files with the repository's strict compiler options, as a test
 * can assert: the diagnostics come back as "file:line: message" strings.
 */
import { dirname, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './process.js';

export interface TypeCheckOptions {
  /**
   * Resolve the workspace packages to their sources (`@gatehouse-auth/source`, as the
   * repository's own type-check does) instead of their built declarations (dist/*.d.ts,
   * what a consumer of the packed package compiles against).
   */
  sources?: boolean;
}

/** The diagnostics of compiling `files` (absolute paths) under the repository's tsconfig.json. */
export function typeCheck(files: string[], options: TypeCheckOptions = {}): string[] {
  const configPath = `${REPO_ROOT}tsconfig.json`;
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
  const compilerOptions: ts.CompilerOptions = { ...parsed.options, noEmit: true, customConditions: options.sources ? parsed.options.customConditions : [] };
  const program = ts.createProgram(files, compilerOptions);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${relative(REPO_ROOT, diagnostic.file.fileName)}:${line + 1}: ${message}`;
  });
}
