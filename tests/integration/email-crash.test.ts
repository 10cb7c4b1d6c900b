/**
 * An e-mail survives its sender being killed mid-send: the real server process sends a thank-you to a real SMTP server
 * here, which holds its answer; the process is killed (SIGKILL, no shutdown) while it waits. After a restart on the same
 * embedded database the message goes out exactly once, with the Message-ID of the first attempt, once the short lease
 * (EMAIL_LEASE_SECONDS=2) of the dead instance has run out — and a redelivered webhook does not send it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/create-database.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';
import { exited, killHard, postWebhook, serversOnOneDataDir, sleep, until, within } from '../helpers/server-process.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';

const SECRET = 'whsec_email_crash_test';
let smtp: TestSmtp;
const servers = serversOnOneDataDir('favour-email-crash-', () => ({
  STRIPE_WEBHOOK_SECRET: SECRET,
  SMTP_URL: smtp.url,
  EMAIL_LEASE_SECONDS: '2',
}));
const start = servers.start;
const dataDir = servers.dataDir;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await servers.killAll();
  await smtp?.close();
  servers.removeDataDir();
});

describe('an e-mail whose sender is killed mid-send', () => {
  it('is sent exactly once after a restart, with the same Message-ID', async () => {
    const now = Math.floor(Date.now() / 1000);
    const gift = stripeEvent(
      'checkout.session.completed',
      {
        ...checkoutSession({
          id: 'cs_email_crash',
          publication: 'demo',
          email: 'crash.reader@example.com',
          name: 'Ada Crash',
          created: now,
        }),
        locale: 'en',
      },
      { id: 'evt_email_crash', created: now },
    );

    // 1. A first payment: the thank-you is queued and sent; the SMTP server receives it whole and holds its answer.
    const first = await start();
    const held = smtp.holdNext();
    expect((await postWebhook(first.base, gift, SECRET)).status).toBe(200);
    // The sender polls every 5 s: the message reaches the SMTP server within that.
    const { message, abandoned } = await within(15_000, 'the thank-you reaching the SMTP server', held);
    expect(message.subject).toBe('Thank you for supporting The Demo Daily');
    expect(message.to).toMatchObject({ value: [{ address: 'crash.reader@example.com' }] });
    const messageId = message.messageId;
    expect(messageId).toMatch(/^<favour-\d+-thank_you@/);

    // 2. Killed while waiting for the answer: the SMTP server sees the client go and accepts nothing.
    await killHard(first.server.child);
    expect(first.server.child.signalCode).toBe('SIGKILL');
    await within(5_000, 'the SMTP server seeing the client go', abandoned);
    expect(smtp.messages).toHaveLength(0);

    // 3. Restarted on the same data: the message, claimed by the dead instance for 2 s, goes out once, unchanged.
    const second = await start();
    await until(12_000, 'the thank-you after the restart', () => smtp.messages.length > 0);
    expect(smtp.messages).toHaveLength(1);
    const [sent] = smtp.messages;
    expect(sent!.subject).toBe('Thank you for supporting The Demo Daily');
    expect(sent!.to).toMatchObject({ value: [{ address: 'crash.reader@example.com' }] });
    expect(sent!.messageId).toBe(messageId);

    // 4. Stripe delivers the webhook again; past a poll (5 s) and the lease (2 s), still one message.
    expect((await postWebhook(second.base, gift, SECRET)).status).toBe(200);
    await sleep(6_000);
    expect(smtp.messages).toHaveLength(1);

    // 5. The outbox says so too: sent, on the second attempt, under the Message-ID both attempts carried.
    const stopped = exited(second.server.child);
    second.server.child.kill('SIGTERM');
    expect(await within(10_000, 'the server stopping on SIGTERM', stopped)).toBe(0);
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const rows = await database.db.selectFrom('outbound_emails').select(['kind', 'status', 'attempts', 'message_id']).execute();
      expect(rows).toEqual([{ kind: 'thank_you', status: 'sent', attempts: 2, message_id: messageId }]);
    } finally {
      await database.close();
    }
  }, 120_000);
});
