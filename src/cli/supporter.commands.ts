import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { PublicationError } from '../publications/publication.service.js';
import { eraseSupporterByEmail, exportSupporter } from '../supporters/supporter-privacy.service.js';
import { openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

export function supporterCommands(io: CliOutput): Command {
  const supporter = new Command('supporter').description("privacy requests: a supporter's data, or its erasure");

  supporter
    .command('export <publication> <email>')
    .description('print everything held about a supporter as JSON')
    .action(async (slug: string, email: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const record = await exportSupporter(database.db, publication, email);
      if (!record) throw new PublicationError(`No supporter with that e-mail in ${slug}.`);
      io.out(JSON.stringify(record, null, 2));
    });

  supporter
    .command('erase <publication> <email>')
    .description('erase a supporter: name, e-mail and links to Stripe customers go; amounts and dates stay')
    .action(async (slug: string, email: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const result = await eraseSupporterByEmail(database.db, publication, email, new Date());
      if (!result) throw new PublicationError(`No supporter with that e-mail in ${slug}.`);
      io.out(JSON.stringify(result));
      io.err('Erased. If they are still a member, cancel the subscription in Stripe too: new payments would record them again.');
    });

  return supporter;
}
