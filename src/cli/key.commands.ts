import { Command } from 'commander';
import { listApiKeys, revokeApiKey } from '../api-keys/api-key.repository.js';
import { createApiKey } from '../api-keys/api-key.service.js';
import { loadConfig } from '../config.js';
import { findPublicationBySlug } from '../publications/publication.repository.js';
import { PublicationError } from '../publications/publication.service.js';
import { openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

export function keyCommands(io: CliOutput): Command {
  const key = new Command('key').description('API keys for the reports API and the dashboard');

  key
    .command('create <publication>')
    .description('create a key for a publication; it is printed once, only its hash is stored')
    .option('--label <label>', 'who the key is for; logged with every request', 'default')
    .action(async (slug: string, options: { label: string }) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = await requirePublication(database.db, slug);
      const created = await createApiKey(database.db, publication.id, options.label);
      io.out(created.key);
      io.err(`Key ${created.prefix}… (id ${created.id}, label "${options.label}") for ${slug}. Store it now: it cannot be shown again.`);
    });

  key
    .command('list [publication]')
    .description('list keys (prefix, label, created, last used, revoked)')
    .action(async (slug: string | undefined) => {
      await using database = await openMigratedDatabase(loadConfig());
      const publication = slug ? await findPublicationBySlug(database.db, slug) : undefined;
      if (slug && !publication) throw new PublicationError(`No publication with slug "${slug}".`);
      io.out('id\tpublication\tprefix\tlabel\tcreated\tlast used\trevoked');
      for (const k of await listApiKeys(database.db, publication?.id)) {
        const date = (d: Date | null) => (d ? d.toISOString() : '-');
        io.out(`${k.id}\t${k.slug}\t${k.prefix}…\t${k.label}\t${date(k.created_at)}\t${date(k.last_used_at)}\t${date(k.revoked_at)}`);
      }
    });

  key
    .command('revoke <id-or-prefix>')
    .description('revoke a key at once (by the id or prefix `favour key list` shows)')
    .action(async (idOrPrefix: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const revoked = await revokeApiKey(database.db, idOrPrefix.replace(/…$/, ''));
      if (revoked === 0) throw new PublicationError(`No live key "${idOrPrefix}".`);
      io.out(`revoked ${revoked} key${revoked === 1 ? '' : 's'}`);
    });

  return key;
}
