// The bench servers run as compiled JavaScript under plain `node`, as `gatehouse serve`
// runs in production (from dist/). Run through tsx instead, every server process carries
// tsx's loader (a second V8 isolate and esbuild): about 60 MB more RSS for the same code
// (measured on the Gatehouse server: 96 MB idle compiled, 158 MB through tsx), which would
// swamp the RSS target.
//
// `tsc` would type-check first and stop on another engineer's half-done edit; the code base
// is written for per-file transpiling (isolatedModules, verbatimModuleSyntax), so each file
// of packages/*/src and bench/ is transpiled alone with TypeScript's transpileModule, into a
// fresh directory per run under node_modules/.cache (node_modules resolve from there; the
// workspace packages resolve to their transpiled copies, never to a possibly stale dist/).
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function* typeScriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['results', 'node_modules', 'dist'].includes(entry.name)) yield* typeScriptFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

/** Transpiles packages/ and bench/ into a new directory; returns it and a function removing it. */
export function buildForBench(): { dir: string; remove(): void } {
  const started = performance.now();
  const dir = join(ROOT, 'node_modules', '.cache', 'gatehouse-bench', String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  // Package scope lookup stops at node_modules: say that these .js files are ES modules.
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  let count = 0;
  for (const top of ['packages', 'bench']) {
    for (const file of typeScriptFiles(join(ROOT, top))) {
      const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file,
        reportDiagnostics: true,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true, sourceMap: false },
      });
      if (diagnostics && diagnostics.length > 0) {
        throw new Error(`cannot transpile ${relative(ROOT, file)}: ${ts.flattenDiagnosticMessageText(diagnostics[0]!.messageText, '\n')}`);
      }
      const out = join(dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
      count++;
    }
  }
  // `@gatehouse-auth/<name>` imports (the server imports the resource package) reach the
  // transpiled sources: a package.json per package, linked under the directory's node_modules.
  for (const name of readdirSync(join(ROOT, 'packages'))) {
    writeFileSync(join(dir, 'packages', name, 'package.json'), JSON.stringify({ type: 'module', exports: './src/index.js' }));
    mkdirSync(join(dir, 'node_modules', '@gatehouse-auth'), { recursive: true });
    symlinkSync(join(dir, 'packages', name), join(dir, 'node_modules', '@gatehouse-auth', name));
  }
  console.log(`transpiled ${count} files for the bench servers in ${Math.round(performance.now() - started)} ms (${relative(ROOT, dir)})`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
