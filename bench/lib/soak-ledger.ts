import type pg from 'pg';
import { openDatabase } from '../../src/db/create-database.js';
import { rollupDifferences } from '../../src/rollups/rollup.repository.js';
import type { BaseStatus, SoakEvent } from './soak-events.js';

/*
 * The soak's own account of what it sent and what was accepted (answered 200 or 201), from which the final database
 * state follows without asking the service: which events, payments, memberships and checkout sessions must exist,
 * and each payment's status and refunded amount (derived as refreshPaymentStatus derives it, from the refunds and
 * disputes sent, whatever order they were applied in).
 */

const RANK: Record<BaseStatus, number> = { pending: 0, failed: 1, succeeded: 2 };
const CLOSED = new Set(['won', 'lost', 'warning_closed', 'prevented']);
const DISPUTED = new Set(['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review', 'lost']);

interface PaymentFact {
  amount: number;
  currency: string;
  kind: 'one_off' | 'membership';
  base: BaseStatus;
  paymentIntentId: string | null;
}

export class Ledger {
  readonly events = new Set<string>();
  readonly payments = new Map<string, PaymentFact>();
  readonly charges = new Map<string, { paymentIntentId: string; amountRefunded: number }>();
  readonly disputes = new Map<string, { paymentIntentId: string; status: string; rank: number; snapshotAt: number }>();
  readonly memberships = new Set<string>();
  readonly sessionsFromEvents = new Set<string>();
  readonly sessionsFromCheckout = new Set<string>();
  deliveries = 0;
  redeliveries = 0;
  readonly typeCounts = new Map<string, number>();

  /** An event answered 200: it is stored (once), and what it says is applied. */
  accept(e: SoakEvent): void {
    this.deliveries++;
    if (e.redelivery) this.redeliveries++;
    if (!this.events.has(e.id)) this.typeCounts.set(e.type, (this.typeCounts.get(e.type) ?? 0) + 1);
    this.events.add(e.id);
    for (const f of e.facts) {
      switch (f.kind) {
        case 'payment': {
          const p = this.payments.get(f.sourceId);
          if (!p)
            this.payments.set(f.sourceId, {
              amount: f.amount,
              currency: f.currency,
              kind: f.paymentKind,
              base: f.base,
              paymentIntentId: f.paymentIntentId,
            });
          else if (RANK[f.base] > RANK[p.base]) p.base = f.base;
          break;
        }
        case 'charge': {
          const c = this.charges.get(f.chargeId);
          this.charges.set(f.chargeId, {
            paymentIntentId: f.paymentIntentId,
            amountRefunded: Math.max(c?.amountRefunded ?? 0, f.amountRefunded),
          });
          break;
        }
        case 'dispute': {
          const next = {
            paymentIntentId: f.paymentIntentId,
            status: f.status,
            rank: CLOSED.has(f.status) ? 1 : 0,
            snapshotAt: f.snapshotAt,
          };
          const d = this.disputes.get(f.disputeId);
          const newer =
            !d ||
            next.rank > d.rank ||
            (next.rank === d.rank && (next.snapshotAt > d.snapshotAt || (next.snapshotAt === d.snapshotAt && next.status > d.status)));
          if (newer) this.disputes.set(f.disputeId, next);
          break;
        }
        case 'membership':
          this.memberships.add(f.subscriptionId);
          break;
        case 'session':
          this.sessionsFromEvents.add(f.sessionId);
          break;
      }
    }
  }

  /** Each payment's final status and refunded amount. */
  expectedPayments(): Map<string, { status: string; refunded: number; amount: number; currency: string; kind: string }> {
    const refundedByPi = new Map<string, number>();
    for (const c of this.charges.values())
      refundedByPi.set(c.paymentIntentId, (refundedByPi.get(c.paymentIntentId) ?? 0) + c.amountRefunded);
    const disputeByPi = new Map<string, { status: string; snapshotAt: number; id: string }>();
    for (const [id, d] of this.disputes) {
      const cur = disputeByPi.get(d.paymentIntentId);
      if (!cur || d.snapshotAt > cur.snapshotAt || (d.snapshotAt === cur.snapshotAt && id > cur.id))
        disputeByPi.set(d.paymentIntentId, { status: d.status, snapshotAt: d.snapshotAt, id });
    }
    const out = new Map<string, { status: string; refunded: number; amount: number; currency: string; kind: string }>();
    for (const [sourceId, p] of this.payments) {
      const refunded = Math.min(p.amount, p.paymentIntentId ? (refundedByPi.get(p.paymentIntentId) ?? 0) : 0);
      const dispute = p.paymentIntentId ? disputeByPi.get(p.paymentIntentId)?.status : undefined;
      const status =
        p.base !== 'succeeded'
          ? p.base
          : dispute && DISPUTED.has(dispute)
            ? 'disputed'
            : refunded >= p.amount && p.amount > 0
              ? 'refunded'
              : refunded > 0
                ? 'partially_refunded'
                : 'succeeded';
      out.set(sourceId, { status, refunded, amount: p.amount, currency: p.currency, kind: p.kind });
    }
    return out;
  }
}

export interface SoakCheck {
  check: string;
  expected: string;
  found: string;
  pass: boolean;
}

/** Compares the database with the ledger: counts, exact sets of ids, payment statuses and amounts, rollups. */
export async function verifySoak(
  url: string,
  pool: pg.Pool,
  publicationId: number,
  ledger: Ledger,
  checkout201: number,
): Promise<SoakCheck[]> {
  const checks: SoakCheck[] = [];
  const n = async (text: string, params: unknown[] = []) => Number((await pool.query(text, params)).rows[0].n);
  const add = (check: string, expected: number | string, found: number | string) =>
    checks.push({ check, expected: String(expected), found: String(found), pass: String(expected) === String(found) });
  const missingAndExtra = async (table: string, column: string, ids: string[], where = 'true') => {
    const missing = await n(
      `SELECT count(*) AS n FROM unnest($1::text[]) x(id) WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${column} = x.id)`,
      [ids],
    );
    const extra = await n(`SELECT count(*) AS n FROM ${table} t WHERE ${where} AND NOT (t.${column} = ANY($1::text[]))`, [ids]);
    return `${missing} missing, ${extra} unexpected`;
  };

  const events = [...ledger.events];
  add('stripe_events rows = distinct events answered 200', events.length, await n('SELECT count(*) AS n FROM stripe_events'));
  add('stripe_events: ids', '0 missing, 0 unexpected', await missingAndExtra('stripe_events', 'id', events));
  add(
    'stripe_events left ignored (publication not found)',
    0,
    await n(`SELECT count(*) AS n FROM stripe_events WHERE outcome = 'ignored'`),
  );

  const expected = ledger.expectedPayments();
  const sources = [...expected.keys()];
  add('payments rows = payments the events describe', sources.length, await n('SELECT count(*) AS n FROM payments'));
  add('payments: source ids', '0 missing, 0 unexpected', await missingAndExtra('payments', 'source_id', sources));
  const want = new Map<string, { count: number; amount: number; refunded: number }>();
  for (const p of expected.values()) {
    const w = want.get(p.status) ?? { count: 0, amount: 0, refunded: 0 };
    w.count++;
    w.amount += p.amount;
    w.refunded += p.refunded;
    want.set(p.status, w);
  }
  const got = new Map(
    (
      await pool.query(
        `SELECT status, count(*)::int AS count, sum(amount)::bigint AS amount, sum(refunded_amount)::bigint AS refunded FROM payments GROUP BY status`,
      )
    ).rows.map((r) => [r.status as string, { count: Number(r.count), amount: Number(r.amount), refunded: Number(r.refunded) }]),
  );
  for (const status of [...new Set([...want.keys(), ...got.keys()])].sort()) {
    const w = want.get(status) ?? { count: 0, amount: 0, refunded: 0 };
    const g = got.get(status) ?? { count: 0, amount: 0, refunded: 0 };
    add(
      `payments ${status}: count / amount / refunded`,
      `${w.count} / ${w.amount} / ${w.refunded}`,
      `${g.count} / ${g.amount} / ${g.refunded}`,
    );
  }
  // Row by row: the status and refunded amount of every payment.
  const rows = (await pool.query(`SELECT source_id, status, refunded_amount::bigint AS refunded FROM payments`)).rows as {
    source_id: string;
    status: string;
    refunded: string;
  }[];
  const wrong = rows.filter((r) => {
    const e = expected.get(r.source_id);
    return !e || e.status !== r.status || e.refunded !== Number(r.refunded);
  }).length;
  add('payments with a wrong status or refunded amount', 0, wrong);

  add('stripe_charges rows = refunded charges sent', ledger.charges.size, await n('SELECT count(*) AS n FROM stripe_charges'));
  add('stripe_disputes rows = disputes sent', ledger.disputes.size, await n('SELECT count(*) AS n FROM stripe_disputes'));
  add('memberships rows = subscriptions sent', ledger.memberships.size, await n('SELECT count(*) AS n FROM memberships'));
  add('memberships: ids', '0 missing, 0 unexpected', await missingAndExtra('memberships', 'subscription_id', [...ledger.memberships]));

  const fromCheckout = [...ledger.sessionsFromCheckout];
  add(
    'checkout_sessions created by POST /api/checkout = 201 answers',
    checkout201,
    await n(`SELECT count(*) AS n FROM checkout_sessions WHERE id LIKE 'cs_test_%'`),
  );
  add(
    'checkout_sessions from POST /api/checkout: ids',
    '0 missing, 0 unexpected',
    await missingAndExtra('checkout_sessions', 'id', fromCheckout, `t.id LIKE 'cs_test_%'`),
  );
  const allSessions = new Set([...ledger.sessionsFromCheckout, ...ledger.sessionsFromEvents]);
  add('checkout_sessions rows = 201s ∪ sessions in events', allSessions.size, await n('SELECT count(*) AS n FROM checkout_sessions'));
  const completedCreated = [...ledger.sessionsFromCheckout].filter((id) => ledger.sessionsFromEvents.has(id)).length;
  add(
    'sessions from POST /api/checkout later completed or expired by webhook (status no longer open)',
    completedCreated,
    await n(`SELECT count(*) AS n FROM checkout_sessions WHERE id LIKE 'cs_test_%' AND status <> 'open'`),
  );

  const handle = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    for (const [name, rows] of Object.entries(await rollupDifferences(handle.db, publicationId)))
      add(`rollup exact: ${name} (rows differing from a recomputation)`, 0, rows);
  } finally {
    await handle.close();
  }
  add(
    'supporters with nothing left (no customer, payment or membership)',
    0,
    await n(`SELECT count(*) AS n FROM supporters s WHERE NOT EXISTS (SELECT 1 FROM stripe_customers c WHERE c.supporter_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.supporter_id = s.id) AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id)`),
  );
  return checks;
}
