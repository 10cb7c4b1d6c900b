import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { freePort, type ServerChild, spawnNode, spawnTs, waitForHttp } from './child-process.js';
import { startNodeArgs } from './compiled-server.js';
import { REPO_ROOT, settings } from './settings.js';

/*
 * The server child for the reports and soak benches. Same environment rules as child-process.ts startServer
 * (clean env, NODE_ENV=production, LOG_LEVEL=warn, a free loopback port), but the compiled form is transpiled into
 * a folder of its own (node_modules/.cache/favour-bench/reports-soak-<pid>), so a reports or soak run never deletes
 * or overwrites the build another bench (webhooks, compiled run) may be using at the same moment.
 */

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Transpiles src/ and migrations/ as tsc would emit them; returns the server entry point. */
function buildInto(outDir: string): string {
  rmSync(outDir, { recursive: true, force: true });
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
      if (diagnostics?.length)
        throw new Error(`cannot transpile ${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0]!.messageText, '\n')}`);
      const out = path.join(outDir, path.relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
  }
  writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}\n');
  if (existsSync(path.join(REPO_ROOT, 'dist'))) symlinkSync(path.join(REPO_ROOT, 'dist'), path.join(outDir, 'dist'), 'dir');
  return path.join(outDir, 'src', 'server.js');
}

export type Runtime = 'compiled' | 'tsx';

export function parseRuntime(value: string | undefined, fallback: Runtime): Runtime {
  if (value === undefined || value === '') return fallback;
  if (value !== 'compiled' && value !== 'tsx') throw new Error(`--runtime must be compiled or tsx (got "${value}")`);
  return value;
}

/** Starts src/server.ts (tsx) or its transpiled form (compiled, with `npm start`'s node flags) and waits for /readyz. */
export async function startBenchServer(
  env: Record<string, string>,
  runtime: Runtime,
  poolSize = settings.concurrency,
): Promise<ServerChild> {
  const port = await freePort();
  const fullEnv = {
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: settings.serverLogLevel,
    DATABASE_POOL_SIZE: String(poolSize),
    ...env,
    ...settings.serverEnv,
  };
  let child;
  if (runtime === 'tsx') {
    child = spawnTs('src/server.ts', fullEnv, settings.serverNodeArgs);
  } else {
    const outDir = path.join(REPO_ROOT, 'node_modules', '.cache', 'favour-bench', `reports-soak-${process.pid}`);
    child = spawnNode([...startNodeArgs(), ...settings.serverNodeArgs, buildInto(outDir)], fullEnv);
    const stop = child.stop;
    child.stop = async (graceMs) => {
      await stop(graceMs);
      rmSync(outDir, { recursive: true, force: true });
    };
  }
  await waitForHttp(child, port, '/readyz', 60_000);
  return Object.assign(child, { port, runtime: runtime === 'tsx' ? ('tsx' as const) : ('compiled' as const) });
}
