import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type RawBuilder, sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

// Rows where one side has what the other lacks: a rollup (summed over its shards) against the same
// figures recomputed from the base tables.
const differing = (rollup: RawBuilder<unknown>, recomputed: RawBuilder<unknown>) =>
  sql<{ n: string }>`SELECT count(*) AS n FROM (((${rollup}) EXCEPT (${recomputed})) UNION ALL ((${recomputed}) EXCEPT (${rollup}))) x`;

const LOST = sql`CASE WHEN p.dispute_status = 'lost' THEN p.amount - p.refunded_amount ELSE 0 END`;
const REVENUE_SUMS = sql`sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)`;
const REVENUE_NONZERO = sql`sum(payments) <> 0 OR sum(one_off) <> 0 OR sum(gross) <> 0 OR sum(refunded) <> 0 OR sum(disputed) <> 0`;
const FUNNEL_SUMS = sql`sum(impressions), sum(clicks), sum(checkouts), sum(paid)`;
const FUNNEL_NONZERO = sql`sum(impressions) <> 0 OR sum(clicks) <> 0 OR sum(checkouts) <> 0 OR sum(paid) <> 0`;

function checks(pub: number): Record<string, RawBuilder<{ n: string }>> {
  // What favour_payment_rollup counts: succeeded payments with a paid_at, on the publication's local day.
  const counted = (keys: RawBuilder<unknown>, groupBy: RawBuilder<unknown>) => sql`
    SELECT ${keys}, count(*), count(*) FILTER (WHERE p.kind = 'one_off'), sum(p.amount), sum(p.refunded_amount), sum(${LOST})
    FROM payments p JOIN publications pub ON pub.id = p.publication_id
    WHERE p.publication_id = ${pub} AND p.base_status = 'succeeded' AND p.paid_at IS NOT NULL GROUP BY ${groupBy}`;
  const day = sql`(p.paid_at AT TIME ZONE pub.time_zone)::date`;
  const revenueRollup = (table: string, keys: string) => sql`
    SELECT ${sql.raw(keys)}, ${REVENUE_SUMS} FROM ${sql.table(table)} WHERE publication_id = ${pub}
    GROUP BY ${sql.raw(keys)} HAVING ${REVENUE_NONZERO}`;
  const funnelRollup = (table: string, keys: string) => sql`
    SELECT ${sql.raw(keys)}, ${FUNNEL_SUMS} FROM ${sql.table(table)} WHERE publication_id = ${pub}
    GROUP BY ${sql.raw(keys)} HAVING ${FUNNEL_NONZERO}`;
  const funnelOfCounters = (keys: string) => funnelRollup('widget_daily_counters', keys);

  return {
    payment_daily_totals: differing(
      sql`SELECT day, currency, kind, sum(payments), sum(gross), sum(refunded), sum(disputed) FROM payment_daily_totals
        WHERE publication_id = ${pub} GROUP BY 1, 2, 3 HAVING sum(payments) <> 0 OR sum(gross) <> 0 OR sum(refunded) <> 0 OR sum(disputed) <> 0`,
      sql`SELECT ${day}, p.currency, p.kind, count(*), sum(p.amount), sum(p.refunded_amount), sum(${LOST})
        FROM payments p JOIN publications pub ON pub.id = p.publication_id
        WHERE p.publication_id = ${pub} AND p.base_status = 'succeeded' AND p.paid_at IS NOT NULL GROUP BY 1, 2, 3`,
    ),
    article_daily_totals: differing(
      revenueRollup('article_daily_totals', 'day, article_url, variant, currency'),
      counted(sql`${day}, coalesce(p.article_url, ''), coalesce(p.variant, ''), p.currency`, sql`1, 2, 3, 4`),
    ),
    article_monthly_totals: differing(
      revenueRollup('article_monthly_totals', 'month, article_url, currency'),
      counted(sql`date_trunc('month', ${day})::date, coalesce(p.article_url, ''), p.currency`, sql`1, 2, 3`),
    ),
    variant_daily_totals: differing(
      revenueRollup('variant_daily_totals', 'day, variant, currency'),
      counted(sql`${day}, coalesce(p.variant, ''), p.currency`, sql`1, 2, 3`),
    ),
    supporter_totals: differing(
      sql`SELECT t.supporter_id, t.currency, t.payments, t.gross, t.refunded FROM supporter_totals t
        JOIN supporters s ON s.id = t.supporter_id WHERE s.publication_id = ${pub}`,
      sql`SELECT p.supporter_id, p.currency, count(*), sum(p.amount), sum(p.refunded_amount) FROM payments p
        JOIN supporters s ON s.id = p.supporter_id WHERE s.publication_id = ${pub} AND p.base_status = 'succeeded' GROUP BY 1, 2`,
    ),
    'supporters.first_paid_at/last_paid_at': sql`SELECT count(*) AS n FROM supporters s LEFT JOIN (
        SELECT supporter_id, min(paid_at) AS f, max(paid_at) AS l FROM payments
        WHERE base_status = 'succeeded' AND supporter_id IS NOT NULL GROUP BY 1) x ON x.supporter_id = s.id
      WHERE s.publication_id = ${pub} AND (s.first_paid_at, s.last_paid_at) IS DISTINCT FROM (x.f, x.l)`,
    // What favour_checkout_session_changed counts: every checkout on its local day, and those paid.
    'widget_daily_counters.checkouts/paid': differing(
      sql`SELECT day, article_url, variant, sum(checkouts), sum(paid) FROM widget_daily_counters WHERE publication_id = ${pub}
        GROUP BY 1, 2, 3 HAVING sum(checkouts) <> 0 OR sum(paid) <> 0`,
      sql`SELECT (cs.created_at AT TIME ZONE pub.time_zone)::date, cs.article_url, coalesce(cs.variant, ''), count(*),
          count(*) FILTER (WHERE cs.status = 'complete' AND cs.payment_status IN ('paid', 'no_payment_required'))
        FROM checkout_sessions cs JOIN publications pub ON pub.id = cs.publication_id WHERE cs.publication_id = ${pub} GROUP BY 1, 2, 3`,
    ),
    widget_daily_totals: differing(funnelRollup('widget_daily_totals', 'day'), funnelOfCounters('day')),
    article_monthly_funnel: differing(
      funnelRollup('article_monthly_funnel', 'month, article_url'),
      sql`SELECT date_trunc('month', day)::date, article_url, ${FUNNEL_SUMS} FROM widget_daily_counters WHERE publication_id = ${pub}
        GROUP BY 1, 2 HAVING ${FUNNEL_NONZERO}`,
    ),
    variant_daily_funnel: differing(funnelRollup('variant_daily_funnel', 'day, variant'), funnelOfCounters('day, variant')),
  };
}

/**
 * Checks one publication's rollups against a recomputation from payments, checkout sessions and widget
 * counters. Returns, per rollup, the number of rows that differ: all zero when the rollups are exact.
 * Reads every row of the publication: for tests, benchmarks and `favour rollups verify`, not for requests.
 */
export async function rollupDifferences(db: DbExecutor, publicationId: number): Promise<Record<string, number>> {
  const differences: Record<string, number> = {};
  for (const [name, query] of Object.entries(checks(publicationId))) {
    const { rows } = await query.execute(db);
    differences[name] = Number(rows[0]?.n ?? 0);
  }
  return differences;
}

// Compiles queries without a database, for rollupDifferenceQueries.
const compiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The SQL of each check with the publication id inlined, for tools that run it on a bare connection (the benchmarks). */
export function rollupDifferenceQueries(publicationId: number): Record<string, string> {
  if (!Number.isSafeInteger(publicationId)) throw new Error('publicationId must be an integer');
  return Object.fromEntries(
    Object.entries(checks(publicationId)).map(([name, query]) => [name, query.compile(compiler).sql.replace(/\$\d+/g, String(publicationId))]),
  );
}
