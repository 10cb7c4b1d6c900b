/**
 * An e-mail survives its sender being killed mid-send: the real server process sends a thank-you to a real SMTP server
 * here, which holds its answer; the process is killed (SIGKILL, no shutdown) while it waits. After a restart on the same
 * embedded database the message goes out exactly once, with the Message-ID of the first attempt, once the short lease
 * (EMAIL_LEASE_SECONDS=2) of the dead instance has run out — and a redelivered webhook does not send it again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/create-database.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';
import { exited, freePort, killHard, postWebhook, type ServerProcess, startServer, waitFor } from '../helpers/server-process.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';

const SECRET = 'whsec_email_crash_test';
const dataDir = mkdtempSync(path.join(tmpdir(), 'favour-email-crash-'));
const servers: ServerProcess[] = [];
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  // Children first: a connection still held open would keep the SMTP server closing for 30 s.
  for (const server of servers) await killHard(server.child);
  await smtp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The server on the shared DATA_DIR and a fresh port, once it answers /readyz. */
async function start(): Promise<{ server: ServerProcess; base: string }> {
  const port = await freePort();
  const server = startServer(port, {
    DATA_DIR: dataDir,
    STRIPE_WEBHOOK_SECRET: SECRET,
    DEMO_SEED_SUPPORTERS: '0',
    SMTP_URL: smtp.url,
    EMAIL_LEASE_SECONDS: '2',
  });
  servers.push(server);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/readyz`, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${server.output()}`);
  });
  return { server, base };
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(ms: number, what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  }, 60_000);
});
