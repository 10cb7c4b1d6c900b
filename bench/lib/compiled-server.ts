import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './settings.js';

/*
 * `npm start` runs compiled JavaScript (dist/), not tsx. To measure the server's memory in that form without
 * touching dist/ (or needing a type-correct tree mid-edit), src/ and migrations/ are transpiled file by file,
 * exactly as tsc would emit them, into node_modules/.cache/favour-bench/build (node_modules resolves from there).
 */

const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'favour-bench');
const OUT_DIR = path.join(CACHE_DIR, 'build');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Transpiles the current src/ and migrations/; returns the path of the compiled server entry point. */
export function buildCompiledServer(): string {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    esModuleInterop: true,
    sourceMap: false,
  };
  for (const folder of ['src', 'migrations']) {
    for (const file of tsFiles(path.join(REPO_ROOT, folder))) {
      const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions,
        fileName: file,
        reportDiagnostics: true,
      });
      if (diagnostics?.length) {
        throw new Error(`cannot transpile ${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0]!.messageText, '\n')}`);
      }
      const out = path.join(OUT_DIR, path.relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
  }
  // The compiled tree is ESM like the package itself. src/paths.ts takes the folder of the nearest package.json as
  // the package root, so built assets (dist/widget/…) are linked in to resolve exactly as from the repository.
  writeFileSync(path.join(OUT_DIR, 'package.json'), '{"type":"module"}\n');
  if (existsSync(path.join(REPO_ROOT, 'dist'))) symlinkSync(path.join(REPO_ROOT, 'dist'), path.join(OUT_DIR, 'dist'), 'dir');
  return path.join(OUT_DIR, 'src', 'server.js');
}

/** The node flags `npm start` runs the server with (package.json "start"), so a bench measures what production runs. */
export function startNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json "start" no longer runs node directly: ${pkg.scripts.start}`);
  return args.filter((arg) => arg.startsWith('--'));
}

/** Removes the transpiled tree (called once the compiled server has stopped). */
export function removeCompiledServer(): void {
  rmSync(CACHE_DIR, { recursive: true, force: true });
}
