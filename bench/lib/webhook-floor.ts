import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type LatencySummary, summarize } from './stats.js';
import type { BenchEvent, EventFacts } from './webhook-events.js';

/*
 * The floor: the database work of one webhook event, done by a bare `pg` script with no HTTP, no Express,
 * no signature check, no JSON parsing and no Kysely. Per event it runs one transaction with the same
 * statements, in the same order and with the same branches as src/webhooks (the statements below are the
 * SQL Kysely compiles for the repository functions, or the repositories' own raw SQL, copied verbatim).
 * Keep it in step with src/: when a handler gains or loses a statement, so should this file.
 */

type Client = pg.PoolClient;
type Outcome = 'applied' | 'stored' | 'ignored';
const fromUnix = (seconds: number) => new Date(seconds * 1000);
const DISPUTED = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review', 'lost'];
const STATUS_RANK: Record<string, number> = {
  incomplete: 0, trialing: 1, active: 2, past_due: 3, unpaid: 4, paused: 4, incomplete_expired: 5, canceled: 6,
};

// --- payment.repository.ts lockStripeObject ---------------------------------------------------------------

async function lockStripeObject(c: Client, kind: 'invoice' | 'payment_intent', id: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${kind}:${id}`]);
}

// --- stripe-mirror.repository.ts -------------------------------------------------------------------------

async function insertEvent(c: Client, e: BenchEvent): Promise<boolean> {
  const { rowCount } = await c.query(
    // The pre-inbox write path (store and apply in one transaction): marked applied, so no applier takes it again.
    'insert into "stripe_events" ("id", "type", "created", "livemode", "api_version", "payload", "outcome", "publication_id", "status") values ($1, $2, $3, $4, $5, $6, $7, $8, \'applied\') on conflict ("id") do nothing returning "id"',
    [e.id, e.type, fromUnix(e.created), e.livemode, e.apiVersion, e.payload, 'ignored', null],
  );
  return rowCount === 1;
}

async function setEventOutcome(c: Client, id: string, outcome: Outcome, publicationId: number | null): Promise<void> {
  await c.query('update "stripe_events" set "outcome" = $1, "publication_id" = $2 where "id" = $3', [outcome, publicationId, id]);
}

async function upsertCharge(c: Client, f: Extract<EventFacts, { kind: 'refund' }>): Promise<void> {
  if (f.paymentIntentId) await lockStripeObject(c, 'payment_intent', f.paymentIntentId);
  await c.query(
    `insert into "stripe_charges" ("id", "payment_intent_id", "amount", "amount_refunded", "currency", "created") values ($1, $2, $3, $4, $5, $6)
     on conflict ("id") do update set "amount_refunded" = greatest(stripe_charges.amount_refunded, excluded.amount_refunded),
       "payment_intent_id" = coalesce("stripe_charges"."payment_intent_id", "excluded"."payment_intent_id")`,
    [f.chargeId, f.paymentIntentId, f.amount, f.amountRefunded, f.currency, fromUnix(f.created)],
  );
}

// --- publication.repository.ts ---------------------------------------------------------------------------

async function findPublication(c: Client, slug: string | undefined): Promise<{ id: number; default_currency: string } | undefined> {
  if (!slug) return undefined;
  const { rows } = await c.query('select * from "publications" where "slug" = $1', [slug]);
  return rows[0] as { id: number; default_currency: string } | undefined;
}

// --- supporter.repository.ts / supporter.service.ts ------------------------------------------------------

const TAKE_NEW = `excluded.email IS NOT NULL AND (stripe_customers.email IS NULL OR
    (excluded.snapshot_at, excluded.email, coalesce(excluded.name, '')) >
    (stripe_customers.snapshot_at, stripe_customers.email, coalesce(stripe_customers.name, '')))`;
const UPSERT_CUSTOMER = `
    INSERT INTO stripe_customers (id, publication_id, email, name, snapshot_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (id) DO UPDATE SET
      publication_id = coalesce(stripe_customers.publication_id, excluded.publication_id),
      email = CASE WHEN ${TAKE_NEW} THEN excluded.email ELSE stripe_customers.email END,
      name = CASE WHEN ${TAKE_NEW} THEN excluded.name ELSE stripe_customers.name END,
      snapshot_at = CASE WHEN ${TAKE_NEW} THEN excluded.snapshot_at ELSE stripe_customers.snapshot_at END
    RETURNING id, publication_id, supporter_id, email, (xmax = 0) AS inserted`;

const normaliseEmail = (email: string | null | undefined) => email?.trim().toLowerCase() || null;

async function upsertSupporterByEmail(c: Client, publicationId: number, email: string): Promise<number> {
  const { rows } = await c.query(
    'insert into "supporters" ("publication_id", "email") values ($1, $2) on conflict ("publication_id", "email") do update set "email" = "excluded"."email" returning "id"',
    [publicationId, email],
  );
  return Number((rows[0] as { id: string }).id);
}

async function recordCustomer(
  c: Client,
  s: { id: string; publicationId: number | null; email: string | null; name: string | null; observedAt: Date },
): Promise<number | null> {
  const { rows } = await c.query(UPSERT_CUSTOMER, [s.id, s.publicationId, normaliseEmail(s.email), s.name, s.observedAt]);
  const customer = rows[0] as { id: string; publication_id: number | null; supporter_id: string | null; email: string | null; inserted: boolean };
  const currentSupporter = customer.supporter_id === null ? null : Number(customer.supporter_id);
  if (customer.publication_id === null || customer.email === null) return currentSupporter;
  const supporterId = await upsertSupporterByEmail(c, customer.publication_id, customer.email);
  if (currentSupporter !== supporterId) {
    await c.query('update "stripe_customers" set "supporter_id" = $1 where "id" = $2', [supporterId, customer.id]);
    // As the service: a customer seen for the first time has no payments or memberships to move.
    if (!customer.inserted) await c.query(
      'update "payments" set "supporter_id" = $1, "updated_at" = $2 where "customer_id" = $3 and ("supporter_id" is null or "supporter_id" != $4)',
      [supporterId, new Date(), customer.id, supporterId],
    );
    if (!customer.inserted) await c.query(
      'update "memberships" set "supporter_id" = $1, "updated_at" = $2 where "customer_id" = $3 and ("supporter_id" is null or "supporter_id" != $4)',
      [supporterId, new Date(), customer.id, supporterId],
    );
    if (currentSupporter !== null) {
      await c.query(
        `DELETE FROM supporters s WHERE s.id = $1
          AND NOT EXISTS (SELECT 1 FROM stripe_customers c WHERE c.supporter_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.supporter_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id)`,
        [currentSupporter],
      );
      await refreshSupporterName(c, currentSupporter);
    }
  }
  await refreshSupporterName(c, supporterId);
  return supporterId;
}

async function refreshSupporterName(c: Client, supporterId: number): Promise<void> {
  await c.query(
    `UPDATE supporters s SET updated_at = now(), name = (
      SELECT c.name FROM stripe_customers c
      WHERE c.supporter_id = s.id AND c.name IS NOT NULL
      ORDER BY c.snapshot_at DESC, c.name DESC LIMIT 1)
    WHERE s.id = $1`,
    [supporterId],
  );
}

// --- payment.repository.ts -------------------------------------------------------------------------------

const rank = (column: string) => `CASE ${column} WHEN 'pending' THEN 0 WHEN 'failed' THEN 1 WHEN 'succeeded' THEN 2 END`;
const UPSERT_PAYMENT = `
    INSERT INTO payments (source_id, publication_id, supporter_id, customer_id, kind, amount, currency, base_status, status,
      checkout_session_id, payment_intent_id, invoice_id, subscription_id, article_url, variant, billing_reason, created_at, paid_at)
    VALUES ($1, $2, $3, $4, $5, $6,
      $7, $8, $9, $10,
      coalesce($11, (SELECT ip.payment_intent_id FROM stripe_invoice_payments ip WHERE ip.invoice_id = $12 ORDER BY 1 LIMIT 1)),
      $13, $14, $15, $16, $17,
      $18, $19)
    ON CONFLICT (source_id) DO UPDATE SET
      supporter_id = coalesce(excluded.supporter_id, payments.supporter_id),
      customer_id = coalesce(payments.customer_id, excluded.customer_id),
      checkout_session_id = coalesce(payments.checkout_session_id, excluded.checkout_session_id),
      payment_intent_id = coalesce(payments.payment_intent_id, excluded.payment_intent_id),
      invoice_id = coalesce(payments.invoice_id, excluded.invoice_id),
      subscription_id = coalesce(payments.subscription_id, excluded.subscription_id),
      article_url = coalesce(payments.article_url, excluded.article_url),
      variant = coalesce(payments.variant, excluded.variant),
      billing_reason = coalesce(payments.billing_reason, excluded.billing_reason),
      amount = CASE WHEN ${rank('excluded.base_status')} > ${rank('payments.base_status')} THEN excluded.amount ELSE payments.amount END,
      base_status = CASE WHEN ${rank('excluded.base_status')} > ${rank('payments.base_status')} THEN excluded.base_status ELSE payments.base_status END,
      paid_at = coalesce(payments.paid_at, excluded.paid_at),
      created_at = least(payments.created_at, excluded.created_at),
      updated_at = now()
    RETURNING id, payment_intent_id`;

interface PaymentFacts {
  source_id: string;
  publication_id: number;
  supporter_id: number | null;
  customer_id: string | null;
  kind: 'one_off' | 'membership';
  amount: number;
  currency: string;
  base_status: 'pending' | 'failed' | 'succeeded';
  checkout_session_id: string | null;
  payment_intent_id: string | null;
  invoice_id: string | null;
  subscription_id: string | null;
  article_url: string | null;
  variant: string | null;
  billing_reason: string | null;
  created_at: Date;
  paid_at: Date | null;
}

async function upsertPayment(c: Client, p: PaymentFacts): Promise<void> {
  if (p.invoice_id) await lockStripeObject(c, 'invoice', p.invoice_id);
  const { rows } = await c.query(UPSERT_PAYMENT, [
    p.source_id, p.publication_id, p.supporter_id, p.customer_id, p.kind, p.amount,
    p.currency, p.base_status, p.base_status, p.checkout_session_id,
    p.payment_intent_id, p.invoice_id,
    p.invoice_id, p.subscription_id, p.article_url, p.variant, p.billing_reason,
    p.created_at, p.paid_at,
  ]);
  const row = rows[0] as { id: string; payment_intent_id: string | null };
  if (row.payment_intent_id) await lockStripeObject(c, 'payment_intent', row.payment_intent_id);
  await refreshPaymentStatus(c, 'p2.id = $1', Number(row.id));
}

const DISPUTED_LIST = DISPUTED.map((s) => `'${s}'`).join(', ');
async function refreshPaymentStatus(c: Client, which: 'p2.id = $1' | 'p2.payment_intent_id = $1', key: number | string): Promise<number> {
  const result = await c.query(
    `UPDATE payments p SET
      refunded_amount = least(p.amount, x.refunded),
      dispute_status = x.dispute_status,
      status = CASE
        WHEN p.base_status <> 'succeeded' THEN p.base_status
        WHEN x.dispute_status IN (${DISPUTED_LIST}) THEN 'disputed'
        WHEN x.refunded >= p.amount AND p.amount > 0 THEN 'refunded'
        WHEN x.refunded > 0 THEN 'partially_refunded'
        ELSE 'succeeded' END,
      updated_at = now()
    FROM (
      SELECT p2.id,
        coalesce((SELECT sum(c.amount_refunded) FROM stripe_charges c WHERE c.payment_intent_id = p2.payment_intent_id), 0)::bigint AS refunded,
        (SELECT d.status FROM stripe_disputes d
           WHERE d.payment_intent_id = p2.payment_intent_id
              OR d.charge_id IN (SELECT c.id FROM stripe_charges c WHERE c.payment_intent_id = p2.payment_intent_id)
           ORDER BY d.snapshot_at DESC, d.id DESC LIMIT 1) AS dispute_status
      FROM payments p2 WHERE ${which}
    ) x
    WHERE x.id = p.id`,
    [key],
  );
  return result.rowCount ?? 0;
}

// --- the handlers ----------------------------------------------------------------------------------------

type Result = { outcome: Outcome; publicationId: number | null };
const IGNORED: Result = { outcome: 'ignored', publicationId: null };

async function gift(c: Client, e: BenchEvent, f: Extract<EventFacts, { kind: 'gift' }>): Promise<Result> {
  const publication = await findPublication(c, f.attribution.slug);
  if (!publication) return IGNORED;
  const occurredAt = fromUnix(e.created);
  const interval = f.attribution.interval === 'once' || f.attribution.interval === 'month' || f.attribution.interval === 'year'
    ? f.attribution.interval
    : f.mode === 'payment' ? 'once' : 'month';
  await c.query(
    `insert into "checkout_sessions" ("id", "publication_id", "article_url", "variant", "amount", "currency", "interval", "locale", "status", "payment_status", "customer_id", "payment_intent_id", "subscription_id", "created_at", "completed_at", "expired_at")
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     on conflict ("id") do update set
       "status" = CASE WHEN checkout_sessions.status = 'open' THEN excluded.status ELSE checkout_sessions.status END,
       "payment_status" = CASE WHEN excluded.payment_status = 'paid' OR checkout_sessions.payment_status IS NULL
          THEN excluded.payment_status ELSE checkout_sessions.payment_status END,
       "customer_id" = coalesce("checkout_sessions"."customer_id", "excluded"."customer_id"),
       "payment_intent_id" = coalesce("checkout_sessions"."payment_intent_id", "excluded"."payment_intent_id"),
       "subscription_id" = coalesce("checkout_sessions"."subscription_id", "excluded"."subscription_id"),
       "completed_at" = least(checkout_sessions.completed_at, excluded.completed_at),
       "expired_at" = least(checkout_sessions.expired_at, excluded.expired_at)`,
    [
      f.sessionId, publication.id, f.attribution.article_url ?? '', f.attribution.variant, f.amount ?? 0,
      f.currency ?? publication.default_currency, interval, f.locale, 'complete', f.paymentStatus, f.customerId,
      f.paymentIntentId, f.subscriptionId, fromUnix(f.created), occurredAt, null,
    ],
  );
  const supporterId = f.customerId
    ? await recordCustomer(c, { id: f.customerId, publicationId: publication.id, email: f.email, name: f.name, observedAt: occurredAt })
    : normaliseEmail(f.email)
      ? await upsertSupporterByEmail(c, publication.id, normaliseEmail(f.email)!)
      : null;
  if (f.mode === 'payment' && f.amount !== null && f.currency) {
    const baseStatus = f.paymentStatus === 'unpaid' ? 'pending' : 'succeeded';
    await upsertPayment(c, {
      source_id: f.sessionId,
      publication_id: publication.id,
      supporter_id: supporterId,
      customer_id: f.customerId,
      kind: 'one_off',
      amount: f.amount,
      currency: f.currency,
      base_status: baseStatus,
      checkout_session_id: f.sessionId,
      payment_intent_id: f.paymentIntentId,
      invoice_id: null,
      subscription_id: null,
      article_url: f.attribution.article_url,
      variant: f.attribution.variant,
      billing_reason: null,
      created_at: fromUnix(f.created),
      paid_at: baseStatus === 'succeeded' ? occurredAt : null,
    });
  }
  return { outcome: 'applied', publicationId: publication.id };
}

async function subscriptionCreated(c: Client, e: BenchEvent, f: Extract<EventFacts, { kind: 'subscription' }>): Promise<Result> {
  const publication = await findPublication(c, f.attribution.slug);
  if (!publication) return IGNORED;
  const occurredAt = fromUnix(e.created);
  const supporterId = await recordCustomer(c, { id: f.customerId, publicationId: publication.id, email: null, name: null, observedAt: occurredAt });
  await c.query(
    `insert into "memberships" ("subscription_id", "publication_id", "supporter_id", "customer_id", "status", "amount", "currency", "interval", "interval_count", "current_period_end", "cancel_at_period_end", "canceled_at", "ended_at", "started_at", "article_url", "variant", "snapshot_at", "snapshot_rank", "snapshot_event_id")
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     on conflict ("subscription_id") do update set
       "supporter_id" = coalesce("excluded"."supporter_id", "memberships"."supporter_id"), "status" = "excluded"."status",
       "amount" = "excluded"."amount", "currency" = "excluded"."currency", "interval" = "excluded"."interval",
       "interval_count" = "excluded"."interval_count", "current_period_end" = "excluded"."current_period_end",
       "cancel_at_period_end" = "excluded"."cancel_at_period_end", "canceled_at" = "excluded"."canceled_at", "ended_at" = "excluded"."ended_at",
       "article_url" = coalesce("memberships"."article_url", "excluded"."article_url"), "variant" = coalesce("memberships"."variant", "excluded"."variant"),
       "snapshot_at" = "excluded"."snapshot_at", "snapshot_rank" = "excluded"."snapshot_rank", "snapshot_event_id" = "excluded"."snapshot_event_id",
       "updated_at" = $20
     where (excluded.snapshot_at, excluded.snapshot_rank, excluded.snapshot_event_id)
          > (memberships.snapshot_at, memberships.snapshot_rank, memberships.snapshot_event_id)`,
    [
      f.subscriptionId, publication.id, supporterId, f.customerId, f.status, f.amount, f.currency, f.interval, f.intervalCount,
      f.currentPeriodEnd === null ? null : fromUnix(f.currentPeriodEnd), f.cancelAtPeriodEnd,
      f.canceledAt ? fromUnix(f.canceledAt) : null, f.endedAt ? fromUnix(f.endedAt) : null, fromUnix(f.startedAt),
      f.attribution.article_url, f.attribution.variant, occurredAt, STATUS_RANK[f.status] ?? 0, e.id, new Date(),
    ],
  );
  if (e.type !== 'customer.subscription.updated' || f.previousStatus !== null) {
    await c.query(
      'insert into "membership_status_changes" ("event_id", "subscription_id", "publication_id", "status", "previous_status", "occurred_at") values ($1, $2, $3, $4, $5, $6) on conflict do nothing',
      [e.id, f.subscriptionId, publication.id, f.status, f.previousStatus, occurredAt],
    );
  }
  return { outcome: 'applied', publicationId: publication.id };
}

async function invoicePaid(c: Client, e: BenchEvent, f: Extract<EventFacts, { kind: 'invoice' }>): Promise<Result> {
  const publication = await findPublication(c, f.attribution.slug);
  if (!publication || f.amount <= 0) return IGNORED;
  const occurredAt = fromUnix(e.created);
  const supporterId = await recordCustomer(c, { id: f.customerId, publicationId: publication.id, email: f.email, name: f.name, observedAt: fromUnix(f.detailsAt) });
  await upsertPayment(c, {
    source_id: f.invoiceId,
    publication_id: publication.id,
    supporter_id: supporterId,
    customer_id: f.customerId,
    kind: 'membership',
    amount: f.amount,
    currency: f.currency,
    base_status: 'succeeded',
    checkout_session_id: null,
    payment_intent_id: null,
    invoice_id: f.invoiceId,
    subscription_id: f.subscriptionId,
    article_url: f.attribution.article_url,
    variant: f.attribution.variant,
    billing_reason: f.billingReason,
    created_at: fromUnix(f.created),
    paid_at: f.paidAt ? fromUnix(f.paidAt) : occurredAt,
  });
  return { outcome: 'applied', publicationId: publication.id };
}

async function chargeRefunded(c: Client, f: Extract<EventFacts, { kind: 'refund' }>): Promise<Result> {
  await upsertCharge(c, f);
  const touched = f.paymentIntentId ? await refreshPaymentStatus(c, 'p2.payment_intent_id = $1', f.paymentIntentId) : 0;
  return { outcome: touched > 0 ? 'applied' : 'stored', publicationId: null };
}

function apply(c: Client, e: BenchEvent): Promise<Result> {
  const f = e.facts;
  switch (f.kind) {
    case 'gift':
      return gift(c, e, f);
    case 'subscription':
      return subscriptionCreated(c, e, f);
    case 'invoice':
      return invoicePaid(c, e, f);
    case 'refund':
      return chargeRefunded(c, f);
  }
}

const RETRYABLE = new Set(['40001', '40P01', '23505', '23503']);

/** One event, one transaction, retried like webhook.service.ts retries. */
async function processEvent(pool: pg.Pool, e: BenchEvent): Promise<{ retries: number }> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      if (await insertEvent(c, e)) {
        const result = await apply(c, e);
        await setEventOutcome(c, e.id, result.outcome, result.publicationId);
      }
      await c.query('COMMIT');
      c.release();
      return { retries: attempt - 1 };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
      const code = (err as { code?: string }).code;
      if (attempt < 5 && code && RETRYABLE.has(code)) {
        await sleep(5 * attempt + Math.random() * 20);
        continue;
      }
      throw err;
    }
  }
}

export interface FloorResult {
  completed: number;
  errors: number;
  retries: number;
  durationMs: number;
  rate: number;
  latency: LatencySummary;
  samples: Float64Array;
  errorSamples: string[];
  stoppedEarly: boolean;
}

/** A pool shaped like the service's (src/db/create-database.ts), int8 read as numbers. */
export function floorPool(connectionString: string, size: number): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: size,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
}

/** Processes events[from … from+count) with `concurrency` workers sharing the pool. */
export async function runFloor(pool: pg.Pool, events: BenchEvent[], from: number, count: number, concurrency: number, maxDurationMs: number): Promise<FloorResult> {
  const latencies = new Float64Array(count);
  const errorSamples: string[] = [];
  let next = 0;
  let completed = 0;
  let errors = 0;
  let retries = 0;
  let stoppedEarly = false;
  const started = performance.now();
  const deadline = started + maxDurationMs;
  async function worker(): Promise<void> {
    while (next < count) {
      if (performance.now() > deadline) {
        stoppedEarly = true;
        return;
      }
      const event = events[from + next++]!;
      const t0 = performance.now();
      try {
        retries += (await processEvent(pool, event)).retries;
      } catch (err) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${event.type} ${event.id}: ${(err as Error).message}`);
      }
      latencies[completed++] = performance.now() - t0;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const durationMs = performance.now() - started;
  return {
    completed,
    errors,
    retries,
    durationMs,
    rate: (completed * 1000) / durationMs,
    latency: summarize(latencies.subarray(0, completed)),
    samples: latencies.subarray(0, completed),
    errorSamples,
    stoppedEarly,
  };
}
