import type { Migration } from 'kysely';
import * as initialSchema from './2026-11-28T0100-initial-schema.js';
import * as widgetCounters from './2026-11-28T0200-widget-counters.js';
import * as apiKeys from './2026-11-28T0300-api-keys.js';
import * as reportRollups from './2026-11-28T0400-report-rollups.js';
import * as rateLimits from './2026-11-28T0500-rate-limits.js';
import * as reconcileRuns from './2026-11-28T0600-reconcile-runs.js';
import * as articleMonthlyRollups from './2026-12-01T0700-article-monthly-rollups.js';
import * as monthlyRollupsSerialScans from './2026-12-01T0800-monthly-rollups-serial-scans.js';
import * as serialSupporterTotals from './2026-12-02T0900-serial-supporter-totals.js';
import * as portalPasses from './2026-12-06T1000-portal-passes.js';
import * as webhookInbox from './2026-12-06T1100-webhook-inbox.js';
import * as publicationNotifications from './2026-12-06T1200-publication-notifications.js';
import * as rollupsWithoutShards from './2026-12-06T1300-rollups-without-shards.js';
import * as heldEvents from './2026-12-06T1400-held-events.js';
import * as widgetPromptCounters from './2026-12-06T1500-widget-prompt-counters.js';
import * as feeCover from './2026-12-07T0900-fee-cover.js';
import * as emailOutbox from './2026-12-07T1000-email-outbox.js';
import * as manageLinks from './2026-12-07T1100-manage-links.js';
import * as reminders from './2026-12-07T1200-reminders.js';
import * as outboundWebhooks from './2026-12-07T1300-outbound-webhooks.js';

/** Every migration, in order. Listed statically so the same code runs from TypeScript and from dist/. */
export const migrations: Record<string, Migration> = {
  '2026-11-28T0100-initial-schema': initialSchema,
  '2026-11-28T0200-widget-counters': widgetCounters,
  '2026-11-28T0300-api-keys': apiKeys,
  '2026-11-28T0400-report-rollups': reportRollups,
  '2026-11-28T0500-rate-limits': rateLimits,
  '2026-11-28T0600-reconcile-runs': reconcileRuns,
  '2026-12-01T0700-article-monthly-rollups': articleMonthlyRollups,
  '2026-12-01T0800-monthly-rollups-serial-scans': monthlyRollupsSerialScans,
  '2026-12-02T0900-serial-supporter-totals': serialSupporterTotals,
  '2026-12-06T1000-portal-passes': portalPasses,
  '2026-12-06T1100-webhook-inbox': webhookInbox,
  '2026-12-06T1200-publication-notifications': publicationNotifications,
  '2026-12-06T1300-rollups-without-shards': rollupsWithoutShards,
  '2026-12-06T1400-held-events': heldEvents,
  '2026-12-06T1500-widget-prompt-counters': widgetPromptCounters,
  '2026-12-07T0900-fee-cover': feeCover,
  '2026-12-07T1000-email-outbox': emailOutbox,
  '2026-12-07T1100-manage-links': manageLinks,
  '2026-12-07T1200-reminders': reminders,
  '2026-12-07T1300-outbound-webhooks': outboundWebhooks,
};
