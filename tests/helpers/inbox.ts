import { expect } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { countInbox } from '../../src/webhooks/event-inbox.repository.js';
import type { WebhookApplier } from '../../src/webhooks/webhook-applier.js';
import { TEST_PUBLIC_URL, TEST_WEBHOOK_SECRET, type TestApp } from './test-app.js';

/** An applier that never runs by itself: the test decides when, and by which appliers, events are applied. */
export const IDLE_APPLIER: WebhookApplier = { wake() {}, drain: async () => {}, stop: async () => {} };

/** An app on the test app's database that only stores (acknowledges) webhooks. */
export function inboxOnlyApp(t: TestApp): Express {
  return createApp({
    db: t.database.db,
    stripe: undefined,
    logger: createLogger('silent'),
    metrics: createMetrics(t.database.poolStats, () => countInbox(t.database.db)),
    config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: TEST_WEBHOOK_SECRET },
    webhookApplier: IDLE_APPLIER,
  });
}

/**
 * Drains the appliers (concurrently) until nothing is pending: one applier's drain can end while another still
 * holds events it claimed. A failed event fails the test.
 */
export async function settleInbox(db: Db, appliers: WebhookApplier[]): Promise<void> {
  for (;;) {
    await Promise.all(appliers.map((a) => a.drain()));
    const inbox = await countInbox(db);
    expect(inbox.failed, 'failed events in the inbox').toBe(0);
    if (inbox.pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
