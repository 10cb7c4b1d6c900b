import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { exited, freePort, postWebhook, startServer, waitFor } from '../helpers/server-process.js';
import { openDatabase } from '../../src/db/create-database.js';

// Runs the real server (src/server.ts) as a separate process, the way `npm start` does.
const dataDir = mkdtempSync(path.join(tmpdir(), 'favour-server-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the server process', () => {
  it('starts on the embedded database with a demo publication, serves webhooks, and stops cleanly on SIGTERM without losing acknowledged events', async () => {
    const port = await freePort();
    const secret = 'whsec_process_test';
    const server = startServer(port, { DATA_DIR: dataDir, STRIPE_WEBHOOK_SECRET: secret, DEMO_SEED_SUPPORTERS: '0' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/readyz`);
    expect(server.output()).toContain(`http://localhost:${port}/donate/demo`);
    const key = /API key (fav_[\w-]+)/.exec(server.output())?.[1];
    expect(key).toBeDefined();
    const summary = await fetch(`${base}/api/reports/summary`, { headers: { authorization: `Bearer ${key}` } });
    expect(summary.status).toBe(200);
    expect(await (await fetch(`${base}/donate/demo`)).text()).toContain('The Demo Daily');

    // Fire a burst of webhooks and SIGTERM while they are in flight.
    const deliveries = Array.from({ length: 40 }, (_, i) => {
      const event = stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: `cs_proc_${i}`, publication: 'demo', article_url: `http://localhost:${port}/a`, email: `p${i}@example.com` }),
        { id: `evt_proc_${i}` },
      );
      return postWebhook(base, event, secret).then(
        (r) => (r.status === 200 ? event.id : null),
        () => null,
      );
    });
    await new Promise((r) => setTimeout(r, 20));
    const exit = exited(server.child);
    server.child.kill('SIGTERM');
    const acknowledged = (await Promise.all(deliveries)).filter((id): id is string => id !== null);
    expect(await exit).toBe(0);
    expect(server.output()).toContain('shutting down');

    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const stored = await database.db.selectFrom('stripe_events').select('id').execute();
      const storedIds = new Set(stored.map((r) => r.id));
      for (const id of acknowledged) expect(storedIds.has(id)).toBe(true);
      const payments = await database.db.selectFrom('payments').select('source_id').execute();
      expect(payments.length).toBe(storedIds.size);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('refuses to start with a bad variable and names it', async () => {
    const server = startServer(await freePort(), { STRIPE_SECRET_KEY: 'pk_live_wrong', DATA_DIR: dataDir });
    expect(await exited(server.child)).toBe(1);
    expect(server.output()).toContain('STRIPE_SECRET_KEY');
    expect(server.output()).not.toContain('pk_live_wrong');
  });
});
