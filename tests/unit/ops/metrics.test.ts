// /metrics reads each count query once per scrape, however many gauges it feeds, and a failing one leaves the
// gauges as they were.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/ops/metrics.js';

const pool = () => ({ total: 1, idle: 1, waiting: 0 });

describe('metrics', () => {
  it('asks each count source once per scrape', async () => {
    const calls = { inbox: 0, emails: 0, outbound: 0 };
    let outboundFails = false;
    const metrics = createMetrics(
      pool,
      async () => (
        calls.inbox++,
        { pending: 3, failed: 1, oldestPendingAt: null, held: { api_version_mismatch: 2, livemode_mismatch: 0 } }
      ),
      async () => (calls.emails++, { pending: 4, failed: 0 }),
      async () => {
        calls.outbound++;
        if (outboundFails) throw new Error('database gone');
        return { pending: 5, failed: 6, disabled_endpoints: 1 };
      },
    );
    const text = await metrics.registry.metrics();
    expect(calls).toEqual({ inbox: 1, emails: 1, outbound: 1 });
    expect(text).toMatch(/^favour_webhook_events_pending 3$/m);
    expect(text).toMatch(/^favour_webhook_events_held\{reason="api_version_mismatch"\} 2$/m);
    expect(text).toMatch(/^favour_outbound_webhooks_pending 5$/m);
    expect(text).toMatch(/^favour_outbound_webhooks_failed 6$/m);
    expect(text).toMatch(/^favour_outbound_webhook_endpoints_disabled 1$/m);

    // The next scrape asks again; a failed read keeps the last figures.
    outboundFails = true;
    const again = await metrics.registry.metrics();
    expect(calls).toEqual({ inbox: 2, emails: 2, outbound: 2 });
    expect(again).toMatch(/^favour_outbound_webhooks_pending 5$/m);
  });
});
