import { Command } from 'commander';
import type Stripe from 'stripe';
import { type Config, loadConfig } from '../config.js';
import { createStripeClient } from '../stripe/stripe-client.js';
import { checkWebhookEndpoints, type EndpointSummary, setUpWebhookEndpoint } from '../stripe/webhook-endpoint.service.js';
import type { CliOutput } from './cli-output.js';

function stripeOf(config: Config): Stripe {
  const stripe = createStripeClient(config);
  if (!stripe) throw new Error('Set STRIPE_SECRET_KEY: the webhook endpoint is created through Stripe’s API, in that key’s mode.');
  return stripe;
}

const describe = (e: EndpointSummary) =>
  `${e.id} ${e.url} (API version ${e.api_version ?? 'account default'}, ${e.enabled_events.length} event types, ${e.status})`;

export function stripeCommands(io: CliOutput): Command {
  const stripe = new Command('stripe').description("the Stripe account's webhook endpoint for favour: set it up, check it");

  stripe
    .command('setup')
    .description(
      "create (or fix) the webhook endpoint for this URL with favour's API version and event types; prints the signing secret once",
    )
    .requiredOption('--url <url>', 'the public URL of POST /webhooks/stripe, e.g. https://news.example/webhooks/stripe')
    .option('--json', 'print the result as JSON')
    .action(async (options: { url: string; json?: boolean }) => {
      const result = await setUpWebhookEndpoint(stripeOf(loadConfig()), options.url);
      if (options.json) {
        io.out(JSON.stringify(result, null, 2));
        return;
      }
      io.out(`${result.action} ${describe(result.endpoint)}`);
      for (const e of result.removed) io.out(`removed ${describe(e)}`);
      if (result.secret) {
        io.out(`signing secret (shown once): ${result.secret}`);
        io.out(
          `Set STRIPE_WEBHOOK_SECRET=${result.secret} and restart favour; until then Stripe retries what it sends (for up to 3 days).`,
        );
      } else {
        io.out('The signing secret is unchanged (Stripe shows it only when it creates an endpoint).');
      }
      io.out('Events held before the fix: `favour events list --held`, then `favour events retry --held`.');
    });

  stripe
    .command('check')
    .description("list the account's webhook endpoints for the URL and what differs from what favour needs; exit 1 if anything does")
    .option('--url <url>', 'the public URL of POST /webhooks/stripe (default: PUBLIC_URL/webhooks/stripe)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { url?: string; json?: boolean }) => {
      const config = loadConfig();
      const result = await checkWebhookEndpoints(stripeOf(config), options.url ?? `${config.publicUrl}/webhooks/stripe`);
      if (!result.ok) process.exitCode = 1;
      if (options.json) {
        io.out(JSON.stringify(result, null, 2));
        return;
      }
      io.out(`favour needs: ${result.url}, API version ${result.api_version}, ${result.event_types.length} event types, enabled`);
      for (const e of result.endpoints) {
        io.out(`${describe(e)}: ${e.problems.length === 0 ? 'ok' : 'differs'}`);
        for (const problem of e.problems) io.out(`  - ${problem}`);
      }
      for (const problem of result.problems) io.out(`- ${problem}`);
      io.out(result.ok ? 'ok' : 'not ok: `favour stripe setup --url …` fixes the endpoint');
    });

  return stripe;
}
