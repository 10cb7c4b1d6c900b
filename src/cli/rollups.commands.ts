import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { recomputeRollups, rollupDifferences } from '../rollups/rollup.repository.js';
import { openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

export function rollupsCommands(io: CliOutput): Command {
  const rollups = new Command('rollups').description('the report rollups the webhook applier keeps: verify them, recompute them');

  rollups
    .command('verify')
    .description("recompute a publication's rollups, compare them with what is stored and roll back (reads every row)")
    .argument('<publication>', 'publication slug')
    .action(async (slug: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const differences = await rollupDifferences(database.db, publication.id);
      for (const [name, rows] of Object.entries(differences))
        io.out(`${rows === 0 ? 'ok  ' : 'FAIL'} ${name}${rows ? `: ${rows} rows differ` : ''}`);
      const failed = Object.values(differences).filter((rows) => rows > 0).length;
      if (failed > 0) {
        throw new Error(
          `${failed} rollup(s) differ from their recomputation: "favour rollups rebuild ${slug}" recomputes them (please report it as a bug)`,
        );
      }
    });

  rollups
    .command('rebuild')
    .description("recompute a publication's rollups from its payments, checkout sessions and widget counters, in one transaction")
    .argument('<publication>', 'publication slug')
    .action(async (slug: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const started = performance.now();
      await database.db.transaction().execute((trx) => recomputeRollups(trx, publication.id));
      io.out(`rebuilt the rollups of ${slug} in ${Math.round(performance.now() - started)} ms`);
    });

  return rollups;
}
