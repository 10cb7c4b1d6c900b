import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { rollupDifferences } from '../rollups/rollup-check.js';
import { foldRollupShards, rebuildAllRollups } from '../rollups/rollup-fold.service.js';
import { openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

export function rollupsCommands(io: CliOutput): Command {
  const rollups = new Command('rollups').description('the report rollups the webhooks keep: fold their shards, verify them');

  rollups
    .command('fold')
    .description("merge past days' rollup shards into one, as the server does every ROLLUP_FOLD_INTERVAL (reports read fewer rows)")
    .action(async () => {
      await using database = await openMigratedDatabase(loadConfig());
      const started = performance.now();
      const result = await foldRollupShards(database.db);
      io.out(
        `folded ${result.publications} publication(s): ${result.rowsRemoved} rollup rows merged away in ${Math.round(performance.now() - started)} ms` +
          (result.skipped ? `; ${result.skipped} skipped (another instance was folding them)` : ''),
      );
    });

  rollups
    .command('verify')
    .description("recompute a publication's rollups from its payments, checkouts and widget counters and compare (reads every row)")
    .argument('<publication>', 'publication slug')
    .action(async (slug: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const differences = await rollupDifferences(database.db, publication.id);
      for (const [name, rows] of Object.entries(differences)) io.out(`${rows === 0 ? 'ok  ' : 'FAIL'} ${name}${rows ? `: ${rows} rows differ` : ''}`);
      const failed = Object.values(differences).filter((rows) => rows > 0).length;
      if (failed > 0) {
        throw new Error(`${failed} rollup(s) differ from their recomputation: "favour rollups rebuild ${slug}" recomputes them (please report it as a bug)`);
      }
    });

  rollups
    .command('rebuild')
    .description("recompute a publication's rollups from its payments and widget counters, in one transaction")
    .argument('<publication>', 'publication slug')
    .action(async (slug: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      await rebuildAllRollups(database.db, publication.id);
      io.out(`rebuilt the rollups of ${slug}`);
    });

  return rollups;
}
