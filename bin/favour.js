#!/usr/bin/env node
// The `favour` command. It runs the compiled CLI; `npm install` builds it (prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('favour is not built yet: run "npm run build" in the favour folder first.');
  process.exit(1);
}
const { runCli } = await import(cli);
await runCli(process.argv);
