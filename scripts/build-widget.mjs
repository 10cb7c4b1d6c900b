#!/usr/bin/env node
// Builds the browser widget: src/widget/client/main.ts → dist/widget/widget.js (one minified IIFE,
// ES2020, CSS minified and inlined) with widget.js.br and widget.js.gz beside it (compressed once here, served by
// Accept-Encoding), prints raw and gzip (level 9) sizes and fails over the budget.
//   node scripts/build-widget.mjs            build, check the budget
//   node scripts/build-widget.mjs --check    only measure the existing bundle
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WIDGET_ENTRY = path.join(root, 'src/widget/client/main.ts');
export const WIDGET_BUNDLE = path.join(root, 'dist/widget/widget.js');
export const GZIP_BUDGET = 8192;

/** `import css from './x.css'` gives the minified stylesheet as a string. */
const minifiedCss = {
  name: 'minified-css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await esbuild.transform(readFileSync(args.path, 'utf8'), {
        loader: 'css',
        minify: true,
        target: ['chrome100', 'safari15', 'firefox100'],
      });
      return { contents: code.trim(), loader: 'text' };
    });
  },
};

/** Builds the bundle in memory; writes it (atomically, only when changed) unless `write` is false. */
export async function buildWidget({ write = true } = {}) {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const result = await esbuild.build({
    entryPoints: [WIDGET_ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'none',
    define: { __VERSION__: JSON.stringify(version) },
    plugins: [minifiedCss],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const unchanged =
    [WIDGET_BUNDLE, `${WIDGET_BUNDLE}.br`, `${WIDGET_BUNDLE}.gz`].every(existsSync) &&
    Buffer.compare(readFileSync(WIDGET_BUNDLE), code) === 0;
  if (write && !unchanged) {
    mkdirSync(path.dirname(WIDGET_BUNDLE), { recursive: true });
    // The compressed copies first, the bundle last: a server that sees the new bundle finds its copies.
    writeAtomically(`${WIDGET_BUNDLE}.br`, brotli(code));
    writeAtomically(`${WIDGET_BUNDLE}.gz`, gzipSync(code, { level: 9 }));
    writeAtomically(WIDGET_BUNDLE, code);
  }
  return { code: Buffer.from(code), ...measure(code) };
}

const brotli = (code) =>
  brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: code.length } });

/** Tests in parallel processes may build at once: write a temporary file and rename it over. */
function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

export function measure(code) {
  return { raw: code.length, gzip: gzipSync(code, { level: 9 }).length, brotli: brotli(code).length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const check = process.argv.includes('--check');
  const { raw, gzip, brotli } = check ? measure(readFileSync(WIDGET_BUNDLE)) : await buildWidget();
  const ok = gzip <= GZIP_BUDGET;
  console.log(
    `${path.relative(root, WIDGET_BUNDLE)}: ${raw} bytes raw, ${gzip} bytes gzip -9 (budget ${GZIP_BUDGET}), ${brotli} bytes brotli ${ok ? 'OK' : 'OVER BUDGET'}`,
  );
  if (!ok) process.exitCode = 1;
}
