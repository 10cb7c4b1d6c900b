import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { PublicationError } from '../publications/publication.service.js';
import { createStripeClient } from '../stripe/stripe-client.js';
import { livemodeOfKey } from '../webhooks/event-hold.js';
import { findInboxEvent, type InboxFilter, listInboxEvents, retryFailedEvents } from '../webhooks/event-inbox.repository.js';
import { releaseHeldEvents } from '../webhooks/held-events.service.js';
import { cliApplier, openMigratedDatabase } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

const limitOption = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
};

const time = (d: Date | null) => (d ? d.toISOString() : '-');

export function eventsCommands(io: CliOutput): Command {
  const events = new Command('events').description('the Stripe webhook inbox: what was received, applied, or failed');

  events
    .command('list')
    .description('events, newest first (id, type, status, outcome, attempts, received, next attempt, error)')
    .option('--pending', 'only events waiting to be applied')
    .option('--failed', 'only events whose handler failed')
    .option('--held', 'only events held, not applied: another API version, or the other mode than the key')
    .option('--limit <n>', 'at most this many', limitOption, 50)
    .action(async (options: { pending?: boolean; failed?: boolean; held?: boolean; limit: number }) => {
      const filter: InboxFilter = options.failed ? 'failed' : options.pending ? 'pending' : options.held ? 'held' : 'all';
      await using database = await openMigratedDatabase(loadConfig());
      io.out('id\ttype\tstatus\toutcome\tattempts\treceived\tnext attempt\terror');
      for (const e of await listInboxEvents(database.db, filter, options.limit)) {
        const status = e.hold_reason ? `held:${e.hold_reason}` : e.status;
        io.out(
          `${e.id}\t${e.type}\t${status}\t${e.outcome ?? '-'}\t${e.attempts}\t${time(e.received_at)}\t${time(e.next_attempt_at)}\t${e.last_error ?? '-'}`,
        );
      }
    });

  events
    .command('show <event-id>')
    .description('one event: its state and the payload Stripe sent, as JSON')
    .action(async (id: string) => {
      await using database = await openMigratedDatabase(loadConfig());
      const event = await findInboxEvent(database.db, id);
      if (!event) throw new PublicationError(`No event "${id}" in the inbox.`);
      io.out(JSON.stringify(event, null, 2));
    });

  events
    .command('retry [event-id]')
    .description(
      'apply failed events again now (after an upgrade that fixes their handler), or held ones (after `favour stripe setup` ' +
        "or a key of the right mode): a held event's object is fetched from Stripe in favour's API version",
    )
    .option('--failed', 'every failed event')
    .option('--held', 'every held event')
    .action(async (id: string | undefined, options: { failed?: boolean; held?: boolean }) => {
      if (!id && !options.failed && !options.held)
        throw new InvalidArgumentError('name an event id, or --failed or --held for all such events');
      const config = loadConfig();
      await using database = await openMigratedDatabase(config);
      const held = options.held || (id !== undefined && (await findInboxEvent(database.db, id))?.status === 'held');
      if (held) {
        const stripe = createStripeClient(config);
        const result = await releaseHeldEvents(
          { db: database.db, stripe, expectedLivemode: livemodeOfKey(config.stripeSecretKey), now: () => new Date() },
          id,
        );
        await cliApplier(database.db).drain();
        io.out(
          `released ${result.released}; ${result.gone} name objects gone from Stripe (ignored); ${result.stillHeld.length} still held`,
        );
        for (const e of result.stillHeld) io.err(`  ${e.id} (${e.reason}): ${e.error}`);
        if (result.stillHeld.length > 0) process.exitCode = 1;
        return;
      }
      const made = await retryFailedEvents(database.db, new Date(), id);
      if (id && made === 0) throw new PublicationError(`No failed event "${id}".`);
      // Applied here and now; a running server's applier may take some of them: never both.
      await cliApplier(database.db).drain();
      const still = id
        ? [await findInboxEvent(database.db, id)].filter((e) => e?.status === 'failed')
        : await listInboxEvents(database.db, 'failed', 10_000);
      io.out(`retried ${made}; ${still.length} still failing`);
      for (const e of still) if (e) io.err(`  ${e.id}: ${e.last_error ?? ''}`);
      if (still.length > 0) process.exitCode = 1;
    });

  return events;
}
