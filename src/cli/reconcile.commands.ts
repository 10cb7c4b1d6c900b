import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { parseDuration } from '../reconcile/duration.js';
import { lastReconcileRuns } from '../reconcile/reconcile.repository.js';
import { MAX_RECONCILE_SECONDS, reconcileOnce } from '../reconcile/reconcile.service.js';
import { createStripeClient, STRIPE_API_VERSION } from '../stripe/stripe-client.js';
import { cliApplier, openMigratedDatabase } from './cli-database.js';
import type { CliOutput } from './cli-output.js';

export function reconcileCommand(io: CliOutput): Command {
  return new Command('reconcile')
    .description("apply any Stripe event the webhooks missed, from Stripe's Events API (kept 30 days)")
    .option('--since <duration>', 'how far back, e.g. 72h, 7d (at most 30d)', '72h')
    .option('--status', 'only show when reconciliation last ran and succeeded')
    .action(async (options: { since: string; status?: boolean }) => {
      const config = loadConfig();
      await using database = await openMigratedDatabase(config);
      if (options.status) {
        const { lastSuccess, lastRun } = await lastReconcileRuns(database.db);
        io.out(`last success: ${lastSuccess?.finished_at?.toISOString() ?? 'never'}`);
        if (lastRun)
          io.out(
            `last run: ${lastRun.started_at.toISOString()} ${lastRun.error ? `failed: ${lastRun.error}` : `applied ${lastRun.applied}`}`,
          );
        return;
      }
      const stripe = createStripeClient(config);
      if (!stripe) throw new Error('Set STRIPE_SECRET_KEY: reconciliation reads Stripe’s Events API.');
      const seconds = Math.min(parseDuration(options.since), MAX_RECONCILE_SECONDS);
      const since = new Date(Date.now() - seconds * 1000);
      const result = await reconcileOnce(
        { database, stripe, logger: createLogger('warn'), now: () => new Date(), applier: cliApplier(database.db) },
        since,
      );
      if (!result) {
        io.out('another instance is reconciling right now; nothing done');
        return;
      }
      io.out(`fetched ${result.fetched}, already had ${result.already_had}, applied ${result.applied}, ignored ${result.ignored}`);
      if (result.held > 0)
        io.err(
          `held ${result.held}: Stripe rendered them in another API version than favour's (${STRIPE_API_VERSION}); see \`favour events list --held\` and \`favour events retry --held\``,
        );
    });
}
