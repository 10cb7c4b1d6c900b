import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { findPublicationBySlug, listPublications } from '../publications/publication.repository.js';
import { PublicationError } from '../publications/publication.service.js';
import { targetPolicyOf } from '../outbound-webhooks/safe-target.js';
import { createWebhookEndpointService, endpointView, WebhookEndpointError } from '../outbound-webhooks/webhook-endpoint.service.js';
import { openMigratedDatabase, requirePublication } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

const date = (d: Date | null) => (d ? d.toISOString() : '-');

/** The service on the configured database, closed when the command ends. */
async function openService() {
  const config = loadConfig();
  const database = await openMigratedDatabase(config);
  const service = createWebhookEndpointService({ db: database.db, policy: targetPolicyOf(config), now: () => new Date() });
  return { database, service, [Symbol.asyncDispose]: () => database[Symbol.asyncDispose]() };
}

/** Mistakes are said plainly, without a stack. */
const plainly = async (run: () => Promise<void>) => {
  try {
    await run();
  } catch (err) {
    if (err instanceof WebhookEndpointError) throw new PublicationError(err.message);
    throw err;
  }
};

export function webhookCommands(io: CliOutput): Command {
  const webhook = new Command('webhook').description("outbound webhooks: tell a publication's tools about supporters (Standard Webhooks)");

  webhook
    .command('add <publication> <url>')
    .description('add an endpoint; prints its id and signing secret (shown once)')
    .option('--events <types>', 'comma-separated event types (default: all)')
    .option('--description <text>', 'what it is for')
    .action((slug: string, url: string, options: { events?: string; description?: string }) =>
      plainly(async () => {
        await using opened = await openService();
        const publication = await requirePublication(opened.database.db, slug);
        const events = options.events
          ?.split(',')
          .map((type) => type.trim())
          .filter(Boolean);
        if (events?.length === 0) throw new WebhookEndpointError('--events: give at least one event type, or leave it out for all.');
        const added = await opened.service.add(publication, {
          url,
          ...(events ? { events } : {}),
          ...(options.description ? { description: options.description } : {}),
        });
        io.out(`id\t${added.id}`);
        io.out(`secret\t${added.secret}`);
        io.err(`Endpoint ${added.id} for ${slug} takes ${added.events.join(', ')}. Store the secret now: it cannot be shown again.`);
      }),
    );

  webhook
    .command('list [publication]')
    .description('list endpoints: status (enabled or disabled), events, pending and failed deliveries')
    .action((slug: string | undefined) =>
      plainly(async () => {
        await using opened = await openService();
        const publication = slug ? await findPublicationBySlug(opened.database.db, slug) : undefined;
        if (slug && !publication) throw new PublicationError(`No publication with slug "${slug}".`);
        const slugs = new Map((await listPublications(opened.database.db)).map((p) => [p.id, p.slug]));
        io.out('id\tpublication\tstatus\turl\tevents\tpending\tfailed\tlast delivered\tfailing since\tdescription');
        for (const endpoint of await opened.service.list(publication)) {
          const view = endpointView(endpoint, slugs.get(endpoint.publication_id) ?? '?');
          const status = view.status === 'disabled' ? `disabled (${view.disabled_reason ?? ''})` : 'enabled';
          io.out(
            [
              view.id,
              view.publication,
              status,
              view.url,
              endpoint.events ? view.events.join(',') : 'all',
              view.pending,
              view.failed,
              date(view.last_delivered_at),
              date(view.failing_since),
              view.description ?? '',
            ].join('\t'),
          );
        }
      }),
    );

  webhook
    .command('remove <id>')
    .description('remove an endpoint and its deliveries')
    .action((id: string) =>
      plainly(async () => {
        await using opened = await openService();
        await opened.service.remove(id);
        io.out(`removed ${id}`);
      }),
    );

  webhook
    .command('rotate-secret <id>')
    .description('a new signing secret (printed once); the old one keeps signing beside it for 24 hours')
    .action((id: string) =>
      plainly(async () => {
        await using opened = await openService();
        const rotated = await opened.service.rotateSecret(id);
        io.out(`secret\t${rotated.secret}`);
        io.err(`The old secret signs too until ${rotated.previous_secret_expires_at.toISOString()}.`);
      }),
    );

  webhook
    .command('enable <id>')
    .description('turn a disabled endpoint back on; what waited for it is delivered')
    .action((id: string) =>
      plainly(async () => {
        await using opened = await openService();
        await opened.service.enable(id);
        io.out(`enabled ${id}`);
      }),
    );

  webhook
    .command('deliveries <id>')
    .description("an endpoint's deliveries, newest first")
    .option('--failed', 'only those given up')
    .option('--limit <n>', 'at most this many', '50')
    .action((id: string, options: { failed?: boolean; limit: string }) =>
      plainly(async () => {
        await using opened = await openService();
        if (!/^\d{1,4}$/.test(options.limit) || Number(options.limit) < 1)
          throw new WebhookEndpointError(`--limit: "${options.limit}" is not a number from 1 to 1000.`);
        const list = await opened.service.deliveries(id, { failedOnly: !!options.failed, limit: Number(options.limit) });
        io.out('delivery\twebhook-id\ttype\tstatus\tattempts\tlast status\tlast error\tcreated\tlast attempt\tnext attempt');
        for (const d of list) {
          io.out(
            [
              d.id,
              d.webhook_id,
              d.type,
              d.status,
              d.attempts,
              d.last_status ?? '-',
              d.last_error ?? '-',
              date(d.created_at),
              date(d.last_attempt_at),
              d.status === 'pending' ? date(d.next_attempt_at) : '-',
            ].join('\t'),
          );
        }
      }),
    );

  webhook
    .command('replay [delivery]')
    .description('send a delivery again (same webhook-id), or with --endpoint and --since every message an endpoint was sent')
    .option('--endpoint <id>', 'the endpoint whose messages to send again')
    .option('--since <duration>', 'how far back, such as 24h or 7d')
    .action((delivery: string | undefined, options: { endpoint?: string; since?: string }) =>
      plainly(async () => {
        await using opened = await openService();
        let result;
        if (delivery !== undefined) {
          if (!/^\d{1,15}$/.test(delivery)) throw new WebhookEndpointError(`"${delivery}" is not a delivery id (a number).`);
          result = await opened.service.replay({ deliveryId: Number(delivery) });
        } else if (options.endpoint && options.since) {
          result = await opened.service.replay({ endpointId: options.endpoint, since: options.since });
        } else {
          throw new WebhookEndpointError('Give a delivery id, or --endpoint <id> --since <duration>.');
        }
        io.out(`replayed ${result.replayed}`);
      }),
    );

  return webhook;
}
