import { Command, CommanderError } from 'commander';
import { loadConfig, loadDotEnv } from '../config.js';
import { demoCommands } from './demo.commands.js';
import { eventsCommands } from './events.commands.js';
import { keyCommands } from './key.commands.js';
import { publicationCommands } from './publication.commands.js';
import { reconcileCommand } from './reconcile.commands.js';
import { rollupsCommands } from './rollups.commands.js';
import { supporterCommands } from './supporter.commands.js';
import { openCliDatabase } from './cli-database.js';
import { migrateToLatest } from '../db/migrate.js';

/** Builds the `favour` command tree; `io` lets tests capture output. */
export function buildCli(io: { out: (line: string) => void; err: (line: string) => void } = { out: console.log, err: console.error }): Command {
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
  return program;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/bin/favour.js');
if (isMain) {
  loadDotEnv();
  buildCli()
    .parseAsync(process.argv)
    .catch((err) => {
      if (err instanceof CommanderError) process.exit(err.exitCode);
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    });
}
