#!/usr/bin/env node
// Builds the publisher dashboard: src/dashboard/client/main.ts → dist/dashboard/dashboard.js (one
// minified IIFE, ES2020, uPlot bundled in) and src/dashboard/client/dashboard.css (uPlot's stylesheet
// @imported) → dist/dashboard/dashboard.css. Prints raw and gzip sizes.
//   node scripts/build-dashboard.mjs              build
//   node scripts/build-dashboard.mjs --sourcemap  also write .map files (linked from the bundles)
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_ENTRIES = {
  dashboard: path.join(root, 'src/dashboard/client/main.ts'),
  'dashboard-css': path.join(root, 'src/dashboard/client/dashboard.css'),
};
export const DASHBOARD_DIR = path.join(root, 'dist/dashboard');

/** Writes a file atomically (tests in parallel processes may build at once), only when its bytes changed. */
function writeIfChanged(file, bytes) {
  if (existsSync(file) && Buffer.compare(readFileSync(file), bytes) === 0) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Builds both bundles; returns each output's name and sizes. */
export async function buildDashboard({ write = true, sourcemap = false } = {}) {
  const common = {
    bundle: true,
    minify: true,
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'none',
    sourcemap: sourcemap ? 'linked' : false,
    write: false,
    logLevel: 'silent',
    outdir: DASHBOARD_DIR,
  };
  const [js, css] = await Promise.all([
    esbuild.build({ ...common, entryPoints: { dashboard: DASHBOARD_ENTRIES.dashboard }, format: 'iife', target: ['es2020'] }),
    esbuild.build({
      ...common,
      entryPoints: { dashboard: DASHBOARD_ENTRIES['dashboard-css'] },
      target: ['chrome100', 'safari15', 'firefox100'],
    }),
  ]);
  const files = [...js.outputFiles, ...css.outputFiles];
  if (write) for (const file of files) writeIfChanged(file.path, file.contents);
  return files
    .filter((file) => !file.path.endsWith('.map'))
    .map((file) => ({ file: path.relative(root, file.path), ...measure(file.contents) }));
}

export function measure(bytes) {
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outputs = await buildDashboard({ sourcemap: process.argv.includes('--sourcemap') });
  for (const { file, raw, gzip } of outputs) console.log(`${file}: ${raw} bytes raw, ${gzip} bytes gzip -9`);
}
