import type Stripe from 'stripe';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { storeStripeEvent } from '../webhooks/webhook.service.js';
import { addWidgetCounts, type WidgetCount } from '../widget/widget-counter.repository.js';
import { localDay } from '../widget/widget.service.js';
import { demoCharge, demoDispute, demoEvent, demoInvoice, demoInvoicePayment, demoSession, demoSubscription } from './demo-events.js';
import { seededRandom } from './seeded-random.js';

const DAY = 86_400;
const FIRST_NAMES = [
  'Ana',
  'Marco',
  'Jovana',
  'Luca',
  'Milica',
  'Giulia',
  'Stefan',
  'Sofia',
  'Nikola',
  'Chiara',
  'Emma',
  'James',
  'Olivia',
  'Noah',
  'Marija',
  'Đorđe',
  'Paolo',
  'Ivana',
];
const LAST_NAMES = [
  'Rossi',
  'Petrović',
  'Bianchi',
  'Jovanović',
  'Smith',
  'Ricci',
  'Nikolić',
  'Brown',
  'Esposito',
  'Ilić',
  'Romano',
  'Taylor',
  'Marković',
  'Greco',
];
const TOPICS = [
  'city-hall-budget',
  'river-cleanup',
  'school-meals',
  'housing-crisis',
  'local-elections',
  'library-opens',
  'tram-line',
  'heatwave',
  'hospital-waiting-lists',
  'farmers-market',
  'startup-scene',
  'football-club-finances',
  'museum-night',
  'bike-lanes',
  'air-quality',
  'port-expansion',
  'theatre-season',
  'youth-unemployment',
  'court-ruling',
  'festival-review',
];

export interface DemoSeedOptions {
  supporters: number;
  /** Seed of the random history; the same seed gives the same history (default: random). */
  seed?: number;
  now: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSeedResult {
  events: number;
  /** Events new to the inbox (a rerun with the same seed stores none). */
  stored: number;
  supporters: number;
  articles: number;
}

/**
 * Fills a publication with a year of realistic history: one-off gifts and memberships with renewals,
 * cancellations, refunds and disputes in every currency it accepts, spread over articles and two copy
 * variants, plus widget counters. Payments go through the very code path of real webhook events.
 */
export async function seedDemoHistory(db: Db, publication: PublicationRow, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const run = seed.toString(36);
  const now = Math.floor(options.now.getTime() / 1000);
  const yearAgo = now - 365 * DAY;
  const origin = publication.origins[0]!;
  const currencies = Object.keys(publication.currencies);
  const articles = TOPICS.map((topic, i) => ({
    url: `${origin}/2026/${topic}`,
    published: yearAgo + Math.floor((i + random()) * (365 / TOPICS.length)) * DAY,
    weight: 0.3 + random(),
  }));
  const variants = ['plea-classic', 'plea-urgent'];
  const events: Stripe.Event[] = [];
  let n = 0;
  const add = (type: string, object: object, at: number, previous?: Record<string, unknown>) =>
    events.push(demoEvent(type, object, `evt_demo_${run}_${++n}`, at, previous));

  for (let s = 0; s < options.supporters; s++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const email = `${first}.${last}.${run}${s}@example.com`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/g, 'dj');
    const name = `${first} ${last}`;
    const customer = `cus_demo_${run}_${s}`;
    const article = pick(articles);
    const variant = random() < 0.5 ? variants[0]! : variants[1]!;
    const currency = random() < 0.8 ? publication.default_currency : pick(currencies);
    const settings = publication.currencies[currency]!;
    const start = Math.min(now - DAY, article.published + Math.floor(random() * 20 * DAY) + Math.floor(random() * DAY));
    // `synthetic`: made-up people, never e-mailed.
    const meta = (interval: string) => ({ publication: publication.slug, article_url: article.url, variant, interval, synthetic: 'demo' });

    if (random() < 0.7) {
      // One-off gifts: usually one, sometimes a second later in the year.
      const gifts = random() < 0.8 ? 1 : 2;
      for (let g = 0; g < gifts; g++) {
        const at = g === 0 ? start : Math.min(now - 60, start + Math.floor(random() * 200 * DAY));
        const amount = clampAmount(
          pick(settings.presets.once ?? [settings.min * 5]) * (random() < 0.15 ? 2 : 1),
          settings.min,
          settings.max,
        );
        const id = `cs_demo_${run}_${s}_${g}`;
        const async = random() < 0.05;
        add(
          'checkout.session.completed',
          demoSession({
            id,
            mode: 'payment',
            amount,
            currency,
            customer,
            email,
            name,
            status: 'complete',
            paymentStatus: async ? 'unpaid' : 'paid',
            created: at,
            meta: meta('once'),
          }),
          at,
        );
        if (async)
          add(
            'checkout.session.async_payment_succeeded',
            demoSession({
              id,
              mode: 'payment',
              amount,
              currency,
              customer,
              email,
              name,
              status: 'complete',
              paymentStatus: 'paid',
              created: at,
              meta: meta('once'),
            }),
            at + 2 * DAY,
          );
        const pi = `pi_${id.slice(3)}`;
        const chargeId = `ch_${id.slice(3)}`;
        const roll = random();
        if (roll < 0.03) {
          const refunded = random() < 0.5 ? amount : Math.round(amount / 2);
          add(
            'charge.refunded',
            demoCharge({ id: chargeId, paymentIntent: pi, amount, refunded, currency, created: at }),
            at + Math.floor(random() * 10 + 1) * DAY,
          );
        } else if (roll < 0.04) {
          const dispute = { id: `dp_${id.slice(3)}`, charge: chargeId, paymentIntent: pi, amount, currency, created: at + 5 * DAY };
          add('charge.dispute.created', demoDispute({ ...dispute, status: 'needs_response' }), at + 5 * DAY);
          add('charge.dispute.closed', demoDispute({ ...dispute, status: random() < 0.5 ? 'won' : 'lost' }), at + 40 * DAY);
        }
      }
    } else {
      // A membership: monthly mostly, yearly sometimes; renewals until now or a cancellation.
      const interval: 'month' | 'year' = random() < 0.8 ? 'month' : 'year';
      const presets = settings.presets[interval] ?? [settings.min * 5];
      const amount = clampAmount(pick(presets), settings.min, settings.max);
      const sub = `sub_demo_${run}_${s}`;
      const period = interval === 'month' ? 30 * DAY : 365 * DAY;
      const cancelAfter = random() < 0.3 ? 1 + Math.floor(random() * 8) : Infinity;
      add(
        'checkout.session.completed',
        demoSession({
          id: `cs_demo_${run}_${s}_m`,
          mode: 'subscription',
          amount,
          currency,
          customer,
          email,
          name,
          status: 'complete',
          paymentStatus: 'paid',
          subscription: sub,
          created: start,
          meta: meta(interval),
        }),
        start,
      );
      const subscription = (extra: Partial<Parameters<typeof demoSubscription>[0]> & { periodEnd: number }) =>
        demoSubscription({ id: sub, customer, status: 'active', amount, currency, interval, start, meta: meta(interval), ...extra });
      add('customer.subscription.created', subscription({ periodEnd: start + period }), start);
      let k = 0;
      for (let at = start; at < now && k < cancelAfter; at += period, k++) {
        const invoiceId = `in_demo_${run}_${s}_${k}`;
        add(
          'invoice.paid',
          demoInvoice({
            id: invoiceId,
            customer,
            email,
            name,
            subscription: sub,
            amount,
            currency,
            paid: true,
            created: at,
            billingReason: k === 0 ? 'subscription_create' : 'subscription_cycle',
            meta: meta(interval),
          }),
          at + 1,
        );
        add(
          'invoice_payment.paid',
          demoInvoicePayment({ invoice: invoiceId, paymentIntent: `pi_in_demo_${run}_${s}_${k}`, amount, currency, created: at + 1 }),
          at + 2,
        );
      }
      if (cancelAfter !== Infinity && start + cancelAfter * period < now) {
        const endedAt = start + cancelAfter * period;
        const canceledAt = endedAt - Math.floor(random() * 20 + 1) * DAY;
        add('customer.subscription.updated', subscription({ periodEnd: endedAt, cancelAtPeriodEnd: true, canceledAt }), canceledAt, {
          cancel_at_period_end: false,
        });
        add('customer.subscription.deleted', subscription({ periodEnd: endedAt, status: 'canceled', canceledAt, endedAt }), endedAt, {
          status: 'active',
        });
      } else {
        const periodEnd = start + Math.ceil((now - start) / period) * period;
        add('customer.subscription.updated', subscription({ periodEnd }), Math.max(start + 3, periodEnd - period + 3), { items: {} });
      }
    }
    // Some readers start a checkout and walk away.
    if (random() < 0.35) {
      const at = start - Math.floor(random() * 3 * DAY);
      add(
        'checkout.session.expired',
        demoSession({
          id: `cs_demo_${run}_${s}_x`,
          mode: 'payment',
          amount: settings.min * 5,
          currency,
          customer: null,
          email: null,
          name: null,
          status: 'expired',
          paymentStatus: 'unpaid',
          created: at - DAY,
          meta: meta('once'),
        }),
        at,
      );
    }
  }

  events.sort((a, b) => a.created - b.created);
  // Into the webhook inbox, as Stripe's deliveries would go: the applier applies them.
  let stored = 0;
  for (const [i, event] of events.entries()) {
    if ((await storeStripeEvent(db, event)).stored) stored++;
    if (i % 500 === 0) options.onProgress?.(i, events.length);
  }
  await seedWidgetCounters(db, publication, articles, variants, random, now);
  return { events: events.length, stored, supporters: options.supporters, articles: articles.length };
}

function clampAmount(amount: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, amount));
}

/** Impressions and clicks per article and day: a burst after publication, then a long tail. */
async function seedWidgetCounters(
  db: Db,
  publication: PublicationRow,
  articles: { url: string; published: number; weight: number }[],
  variants: string[],
  random: () => number,
  now: number,
) {
  // Keyed by day, article and variant: on the night clocks go back, two steps of 24 hours can land on one local day.
  const byKey = new Map<string, WidgetCount>();
  for (const article of articles) {
    for (let d = 0; d < 30 && article.published + d * DAY < now; d++) {
      const views = Math.round(article.weight * 3000 * Math.exp(-d / 3) * (0.7 + random() * 0.6));
      if (views < 1) continue;
      const day = localDay(new Date((article.published + d * DAY) * 1000), publication.time_zone);
      for (const variant of variants) {
        const impressions = Math.round(views / 2);
        const clicks = Math.round(impressions * (variant === variants[1] ? 0.045 : 0.03));
        // About half the clicks are one-off gifts offered "make it monthly"; one in five of those accepts.
        const upsellShown = Math.round(clicks * 0.5);
        const upsellAccepted = Math.round(upsellShown * 0.2);
        const key = `${day} ${article.url} ${variant}`;
        const row = byKey.get(key);
        if (row) {
          row.impression += impressions;
          row.click += clicks;
          row.upsell_shown += upsellShown;
          row.upsell_accepted += upsellAccepted;
        } else
          byKey.set(key, {
            publicationId: publication.id,
            day,
            articleUrl: article.url,
            variant,
            impression: impressions,
            click: clicks,
            upsell_shown: upsellShown,
            upsell_accepted: upsellAccepted,
          });
      }
    }
  }
  await addWidgetCounts(db, [...byKey.values()]);
}
