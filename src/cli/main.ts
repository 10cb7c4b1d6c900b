import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { loadConfig, loadDotEnv } from '../config.js';
import { demoCommands } from './demo.commands.js';
import { eventsCommands } from './events.commands.js';
import { keyCommands } from './key.commands.js';
import { publicationCommands } from './publication.commands.js';
import { reconcileCommand } from './reconcile.commands.js';
import { rollupsCommands } from './rollups.commands.js';
import { stripeCommands } from './stripe.commands.js';
import { supporterCommands } from './supporter.commands.js';
import { webhookCommands } from './webhook.commands.js';
import { openCliDatabase } from './cli-database.js';
import { migrateToLatest } from '../db/migrate.js';

/** Builds the `favour` command tree; `io` lets tests capture output. */
export function buildCli(
  io: { out: (line: string) => void; err: (line: string) => void } = { out: console.log, err: console.error },
): Command {
  const program = new Command('favour')
    .description('Reader-supported memberships and donations for independent newsrooms.')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, or the embedded database under DATA_DIR)')
    .action(async () => {
      await using database = await openCliDatabase(loadConfig());
      const applied = await migrateToLatest(database.db);
      io.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    });

  program.addCommand(publicationCommands(io));
  program.addCommand(keyCommands(io));
  program.addCommand(supporterCommands(io));
  program.addCommand(demoCommands(io));
  program.addCommand(reconcileCommand(io));
  program.addCommand(eventsCommands(io));
  program.addCommand(rollupsCommands(io));
  program.addCommand(stripeCommands(io));
  program.addCommand(webhookCommands(io));
  return program;
}

/**
 * Runs the command line as a user typed it. bin/favour.js calls this, whatever path or link npm runs the bin
 * through (`npx favour`, node_modules/.bin/favour, a global install): guessing from process.argv[1] missed
 * npm's links, and `npx favour …` printed nothing.
 */
export async function runCli(argv: string[] = process.argv): Promise<void> {
  loadDotEnv();
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}

/** True when this file is the script node was started with (`node dist/src/cli/main.js …`, `tsx src/cli/main.ts …`). */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await runCli();
