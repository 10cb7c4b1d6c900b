import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { seedDemoHistory } from '../demo/demo-seed.service.js';
import { insertPublicationIfAbsent } from '../publications/publication.repository.js';
import { demoPublicationInput } from '../publications/publication.service.js';
import { cliApplier, openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('a whole number from 1 to 1000000');
  return n;
};

export function demoCommands(io: CliOutput): Command {
  const demo = new Command('demo').description('synthetic data to try favour with');

  demo
    .command('seed')
    .description('fill a publication with a year of realistic history, through the webhook code path')
    .option('--publication <slug>', 'publication to fill (created if it is "demo" and missing)', 'demo')
    .option('--supporters <n>', 'how many supporters', positiveInt, 300)
    .option('--seed <n>', 'random seed, for a repeatable history', positiveInt)
    .action(async (options: { publication: string; supporters: number; seed?: number }) => {
      const config = loadConfig();
      await using database = await openMigratedDatabase(config);
      if (options.publication === 'demo') await insertPublicationIfAbsent(database.db, demoPublicationInput(config.publicUrl));
      const publication = await requirePublication(database.db, options.publication);
      const result = await seedDemoHistory(database.db, publication, {
        supporters: options.supporters,
        seed: options.seed,
        now: new Date(),
        onProgress: (done, total) => io.err(`  ${done}/${total} events`),
      });
      io.err('  applying the events');
      await cliApplier(database.db).drain();
      io.out(
        `seeded ${publication.slug}: ${result.supporters} supporters, ${result.events} events (${result.stored} applied), ${result.articles} articles`,
      );
    });

  return demo;
}
