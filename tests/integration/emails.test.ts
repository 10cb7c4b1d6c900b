/**
 * E-mails to supporters (issue 13, points 1, 2 and 6): queued in the transaction that records the payment, sent from the
 * outbox to a real SMTP server started here. One thank-you per supporter whatever the order and repetition of webhooks,
 * in the checkout's language; retried when the server refuses; never sent twice by two senders or after a sender died
 * mid-send; written as .eml files when no SMTP server is configured.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimDueEmails, countEmails } from '../../src/email/email-outbox.repository.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { fileTransport } from '../../src/email/mail-transport.js';
import { createLogger } from '../../src/logger.js';
import { eraseSupporterByEmail } from '../../src/supporters/supporter-privacy.service.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import { resetData } from '../helpers/reset-data.js';
import { startSmtpServer, testSenders, type TestSmtp } from '../helpers/smtp.js';
import { checkoutSession, invoice, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

let t: TestApp;
let smtp: TestSmtp;
const logs: string[] = [];
const logger = createLogger('info', { write: (line: string) => logs.push(line) } as never);
const { sender, stopAll } = testSenders(() => ({ db: t.database.db, smtp, logger }));

beforeAll(async () => {
  t = await createTestApp();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  smtp.refuseNext(0);
  logs.length = 0;
});
afterEach(async () => {
  await stopAll();
  await resetData(t.database.db);
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A one-off gift paid just now, through the checkout in `locale`. */
function gift(id: string, o: { email?: string; name?: string; amount?: number; locale?: string; customer?: string } = {}) {
  const session = checkoutSession({
    id,
    publication: 'demo',
    amount: o.amount ?? 1000,
    email: o.email ?? 'ana@example.com',
    name: o.name ?? 'Ana Rossi',
    created: nowSeconds(),
    ...(o.customer ? { customer: o.customer } : {}),
  });
  return stripeEvent('checkout.session.completed', { ...session, locale: o.locale ?? 'en' }, { id: `evt_${id}`, created: nowSeconds() });
}

const outbox = () => t.database.db.selectFrom('outbound_emails').selectAll().orderBy('id').execute();

describe('the thank-you', () => {
  it('goes once to a new supporter, in the checkout language, from the publication, signed by its editor', async () => {
    await t.changePublication('demo', {
      email: { from_name: 'The Demo Daily', reply_to: 'editor@demo.example', copy: { it: { signature: 'Ana Bianchi, direttrice' } } },
    });
    expect((await deliver(t.app, gift('cs_mail_it', { locale: 'it' }))).status).toBe(200);
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail!.subject).toBe('Grazie per il tuo sostegno a The Demo Daily');
    expect(mail!.to).toMatchObject({ value: [{ address: 'ana@example.com' }] });
    expect(mail!.from).toMatchObject({ value: [{ name: 'The Demo Daily', address: 'no-reply@favour.test' }] });
    expect(mail!.replyTo).toMatchObject({ value: [{ address: 'editor@demo.example' }] });
    expect(mail!.text).toContain('Cara/o Ana,');
    expect(mail!.text).toContain('Il tuo contributo di 10\u00a0€ ci è arrivato.');
    expect(mail!.text).toContain('Ana Bianchi, direttrice');
    expect(mail!.html).toContain('<p>Cara/o Ana,</p>');
    const [row] = await outbox();
    expect(row).toMatchObject({ kind: 'thank_you', status: 'sent', attempts: 1 });
    expect(mail!.messageId).toBe(row!.message_id);
    // The log names the message, never the address.
    expect(logs.join('')).toContain('"to":"a…@example.com"');
    expect(logs.join('')).not.toContain('ana@example.com');
    await t.changePublication('demo', { email: { copy: {} } });
  });

  it('is one per supporter whatever the redelivery, order and later payments', async () => {
    const first = gift('cs_mail_first', { customer: 'cus_mail_1' });
    const second = gift('cs_mail_second', { customer: 'cus_mail_1', amount: 2500 });
    for (const event of [second, first, first, second]) expect((await deliver(t.app, event)).status).toBe(200);
    await Promise.all([sender().drain(), sender().drain()]);
    expect(smtp.messages).toHaveLength(1);
    expect(await outbox()).toHaveLength(1);
  });

  it('thanks a new member in Serbian Cyrillic, with what membership means', async () => {
    const now = nowSeconds();
    const session = checkoutSession({
      id: 'cs_mail_member',
      mode: 'subscription',
      publication: 'demo',
      customer: 'cus_mail_m',
      subscription: 'sub_mail_m',
      amount: 500,
      created: now,
    });
    await deliver(
      t.app,
      stripeEvent('checkout.session.completed', { ...session, locale: 'sr-Cyrl-RS' }, { id: 'evt_mail_m_cs', created: now }),
    );
    const paid = invoice({
      id: 'in_mail_m',
      customer: 'cus_mail_m',
      subscription: 'sub_mail_m',
      amount: 500,
      created: now,
      publication: 'demo',
      email: 'mila@example.com',
      name: 'Мила Петровић',
      billing_reason: 'subscription_create',
    });
    await deliver(t.app, stripeEvent('invoice.paid', paid, { id: 'evt_mail_m_in', created: now }));
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.subject).toBe('Хвала што подржавате The Demo Daily');
    expect(smtp.messages[0]!.text).toContain('Поштовани/а Мила,');
    expect(smtp.messages[0]!.text).toContain('Сада сте члан.');
  });

  it('is not sent for old payments, the demo history, or to a supporter erased before it went', async () => {
    const old = gift('cs_mail_old');
    (old.data.object as { created: number }).created = nowSeconds() - 30 * 86_400;
    await deliver(t.app, { ...old, created: nowSeconds() - 30 * 86_400 });
    const synthetic = gift('cs_mail_demo', { email: 'made.up@example.com' });
    (synthetic.data.object as { metadata: Record<string, string> }).metadata.synthetic = 'demo';
    await deliver(t.app, synthetic);
    expect(await outbox()).toHaveLength(0);

    await deliver(t.app, gift('cs_mail_erased', { email: 'gone@example.com' }));
    const demo = (await findPublicationBySlug(t.database.db, 'demo'))!;
    await eraseSupporterByEmail(t.database.db, demo, 'gone@example.com', new Date());
    await sender().drain();
    expect(smtp.messages).toHaveLength(0);
    expect(await outbox()).toEqual([expect.objectContaining({ status: 'skipped', last_error: 'supporter erased' })]);
  });
});

describe('delivery', () => {
  it('retries with back-off when the SMTP server refuses, and sends once it accepts', async () => {
    smtp.refuseNext(1);
    await deliver(t.app, gift('cs_mail_retry'));
    let clock = Date.now();
    const now = () => new Date(clock);
    await sender({ now }).drain();
    expect(smtp.messages).toHaveLength(0);
    const [waiting] = await outbox();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
    const metrics = createMetrics(t.database.poolStats, undefined, () => countEmails(t.database.db));
    expect(await metrics.registry.metrics()).toContain('favour_emails{status="pending"} 1');
    expect(waiting!.last_error).toContain('451');
    expect(waiting!.next_attempt_at.getTime() - clock).toBeGreaterThanOrEqual(59_000);
    // Not before its time…
    await sender({ now }).drain();
    expect(smtp.messages).toHaveLength(0);
    // …and once it is due, sent.
    clock += 61_000;
    await sender({ now }).drain();
    expect(smtp.messages).toHaveLength(1);
    expect(await outbox()).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
  });

  it('sends what a sender claimed and died with once its lease runs out, and only then', async () => {
    await deliver(t.app, gift('cs_mail_lease'));
    // A sender claims the message and dies before sending it.
    expect(await claimDueEmails(t.database.db, new Date(), 10, 120)).toHaveLength(1);
    await sender().drain();
    expect(smtp.messages).toHaveLength(0);
    await sender({ now: () => new Date(Date.now() + 121_000) }).drain();
    expect(smtp.messages).toHaveLength(1);
  });

  it('never sends a message twice when two senders run at once', async () => {
    for (let i = 0; i < 12; i++)
      await deliver(t.app, gift(`cs_mail_many_${i}`, { email: `reader${i}@example.com`, customer: `cus_many_${i}` }));
    await Promise.all([sender().drain(), sender().drain(), sender().drain()]);
    expect(smtp.messages.map((m) => (m.to as { text: string }).text).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `reader${i}@example.com`).sort(),
    );
  });

  it('without SMTP, writes each message as an .eml file', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'favour-outbox-'));
    try {
      await deliver(t.app, gift('cs_mail_file'));
      await sender({ transport: fileTransport(folder) }).drain();
      const files = await readdir(folder);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.eml$/);
      const parsed = await simpleParser(await readFile(path.join(folder, files[0]!)));
      expect(parsed.subject).toBe('Thank you for supporting The Demo Daily');
      expect(parsed.text).toContain('Your €10 has reached us.');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
