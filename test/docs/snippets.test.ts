/**
 * Every TypeScript snippet of the documentation compiles: each ```ts / ```typescript block
 * of README.md, docs/*.md, packages/*\/README.md and examples/**\/README.md is written as a
 * module into a temporary directory under the repository (so `@gatehouse-auth/*`, fastify
 * and express resolve through the workspace's node_modules, to the packages' TypeScript
 * sources by the `@gatehouse-auth/source` condition) and type-checked with the repository's
 * strict compiler options. A failure names the Markdown file and line.
 *
 * A block that is deliberately a fragment is skipped when the line before its fence is
 * `<!-- snippet: fragment -->`. Names a snippet uses for the reader's own code (a
 * `listFiles` of their API, the `verifier` of the snippet before) are declared in
 * PLACEHOLDERS below, for every snippet.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import ts from 'typescript';

const root = new URL('../..', import.meta.url).pathname;

/** The reader's own code, which snippets call without defining. */
const PLACEHOLDERS = `
import type { Verifier } from '@gatehouse-auth/resource';
import type { RouteHandlerMethod } from 'fastify';

declare global {
  /** The verifier created in the snippet before. */
  const verifier: Verifier;
  /** An incoming web request. */
  const request: Request;
  /** The resource server's own data access. */
  function listFiles(tenant: string | undefined): Promise<unknown[]>;
  function findFile(tenant: string | undefined, id: string): Promise<unknown>;
  /** Fastify route handlers of the reader's API. */
  const download: RouteHandlerMethod;
  const status: RouteHandlerMethod;
  /** An integrator's settings and storage. */
  const issuer: string;
  const clientId: string;
  const clientSecret: string;
  const redirectUri: string;
  /** The callback URL the browser came back to, as the integrator's server saw it. */
  const callbackUrl: string;
  function saveRefreshToken(refreshToken: string): Promise<void>;
}
export {};
`;

const FRAGMENT = '<!-- snippet: fragment -->';

interface Snippet {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the snippet's first line of code in that file. */
  line: number;
  code: string;
}

function markdownFiles(): string[] {
  const files = ['README.md'];
  const listed = (dir: string, match: (name: string) => boolean): string[] =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter(match).map((name) => join(dir, name)) : [];
  files.push(...listed('docs', (name) => name.endsWith('.md')));
  files.push(...listed('packages', (name) => existsSync(join(root, 'packages', name, 'README.md'))).map((dir) => join(dir, 'README.md')));
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      if (name === 'node_modules' || name === 'dist') return [];
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) return walk(path);
      return name === 'README.md' ? [path] : [];
    });
  if (existsSync(join(root, 'examples'))) files.push(...walk('examples'));
  return files.filter((file) => existsSync(join(root, file)));
}

/** The ```ts and ```typescript blocks of a Markdown text, with the line each starts on. */
export function extractSnippets(file: string, text: string): { snippets: Snippet[]; fragments: Snippet[] } {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  const fragments: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const end = lines.findIndex((line, j) => j > i && line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '');
    assert.ok(end !== -1, `${file}:${i + 1}: a code block that is never closed`);
    const indent = open[1]!.length;
    const code = lines
      .slice(i + 1, end)
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const snippet = { file, line: i + 2, code };
    (before >= 0 && lines[before]!.trim() === FRAGMENT ? fragments : snippets).push(snippet);
    i = end;
  }
  return { snippets, fragments };
}

/** The repository's compiler options (tsconfig.json), to check files outside its `include`. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, typeRoots: [join(root, 'node_modules', '@types')] };
}

describe('the TypeScript snippets of the documentation', () => {
  // Under node_modules: resolution walks up to the workspace's node_modules, and neither
  // `npm run typecheck` nor eslint looks there should a run leave the directory behind.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'gatehouse-snippets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const found = markdownFiles().map((file) => ({ file, ...extractSnippets(file, readFileSync(join(root, file), 'utf8')) }));
  const snippets = found.flatMap((entry) => entry.snippets);

  it('finds the snippets of the README, the docs and the package READMEs', () => {
    const files = new Set(snippets.map((snippet) => snippet.file));
    for (const file of ['README.md', 'docs/resource-server.md', 'packages/resource/README.md', 'packages/client/README.md']) {
      assert.ok(files.has(file), `no TypeScript snippet found in ${file}`);
    }
  });

  it('skips only the blocks marked as fragments', () => {
    const fragments = found.flatMap((entry) => entry.fragments.map((snippet) => `${snippet.file}:${snippet.line}`));
    // Each one is a deliberate choice: list it here when you mark one.
    assert.deepEqual(fragments, []);
  });

  it('compiles every one of them under the strict options of the repository', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(join(dir, 'placeholders.d.ts'), PLACEHOLDERS);
    const byPath = new Map<string, Snippet>();
    snippets.forEach((snippet, index) => {
      const path = join(dir, `snippet-${index}.ts`);
      // `export {}` makes every snippet a module of its own, whether or not it imports.
      writeFileSync(path, `${snippet.code}\nexport {};\n`);
      byPath.set(path, snippet);
    });
    const program = ts.createProgram([join(dir, 'placeholders.d.ts'), ...byPath.keys()], compilerOptions());
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!diagnostic.file || diagnostic.start === undefined) return message;
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const snippet = byPath.get(diagnostic.file.fileName);
      if (!snippet) return `${relative(root, diagnostic.file.fileName)}:${line + 1}:${character + 1}: ${message}`;
      return `${snippet.file}:${snippet.line + line}:${character + 1}: ${message}`;
    });
    assert.ok(snippets.length > 0);
    assert.deepEqual(problems, [], `documentation snippets that do not compile:\n${problems.join('\n')}`);
  });
});
