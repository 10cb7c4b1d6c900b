import { type RawBuilder, sql } from 'kysely';
import type { Db, DbExecutor } from '../db/database.js';
import { isRetryableTransactionError } from '../db/database-errors.js';

// The rollup rules live in the database, written once in migrations/…-rollups-without-shards.ts: writes
// to payments and checkout sessions record entries, these functions add them up or start afresh.

/**
 * Adds every recorded, unfolded entry the transaction can see to the rollups, each touched row once.
 * The webhook applier runs it at the end of every batch; a write outside the applier runs it before commit.
 */
export async function foldRollupChanges(db: DbExecutor): Promise<void> {
  await sql`SELECT favour_fold_rollup_changes()`.execute(db);
}

/** Recomputes one publication's rollups from its payments, checkout sessions and widget counters. */
export async function recomputeRollups(db: DbExecutor, publicationId: number): Promise<void> {
  await sql`SELECT favour_recompute_rollups(${publicationId})`.execute(db);
}

/** Each rollup's rows for one publication, leaving out rows whose sums are all zero (what entries that cancel out leave). */
function rollupRows(publicationId: number): Record<string, RawBuilder<unknown>> {
  // Inlined: CREATE TABLE … AS takes no parameters.
  if (!Number.isSafeInteger(publicationId)) throw new Error('publicationId must be an integer');
  const pub = sql.lit(publicationId);
  const revenue = (table: string) =>
    sql`SELECT * FROM ${sql.table(table)} WHERE publication_id = ${pub} AND (payments, one_off, gross, refunded, disputed) <> (0, 0, 0, 0, 0)`;
  const funnel = (table: string) =>
    sql`SELECT * FROM ${sql.table(table)} WHERE publication_id = ${pub} AND (impressions, clicks, checkouts, paid) <> (0, 0, 0, 0)`;
  return {
    payment_daily_totals: sql`SELECT * FROM payment_daily_totals WHERE publication_id = ${pub} AND (payments, gross, refunded, disputed) <> (0, 0, 0, 0)`,
    article_daily_totals: revenue('article_daily_totals'),
    article_monthly_totals: revenue('article_monthly_totals'),
    variant_daily_totals: revenue('variant_daily_totals'),
    widget_daily_counters: funnel('widget_daily_counters'),
    widget_daily_totals: funnel('widget_daily_totals'),
    article_monthly_funnel: funnel('article_monthly_funnel'),
    variant_daily_funnel: funnel('variant_daily_funnel'),
    supporter_totals: sql`SELECT t.* FROM supporter_totals t JOIN supporters s ON s.id = t.supporter_id WHERE s.publication_id = ${pub}`,
    'supporters.first_paid_at/last_paid_at': sql`SELECT id, first_paid_at, last_paid_at FROM supporters WHERE publication_id = ${pub}`,
  };
}

class RolledBack extends Error {}

/**
 * Compares one publication's rollups with their recomputation: copies them, recomputes (the same function
 * `favour rollups rebuild` runs), compares, and rolls everything back. Returns, per rollup, the number of
 * rows that differ: all zero when exact. Reads every row and holds off writers while it runs: for
 * `favour rollups verify`, tests and benchmarks, not for requests.
 */
export async function rollupDifferences(db: Db, publicationId: number, attempt = 1): Promise<Record<string, number>> {
  const differences: Record<string, number> = {};
  try {
    await db.transaction().execute(async (trx) => {
      // Writers wait from here on (as the recompute would make them), so nothing commits between the copy and the
      // recompute; entries recorded but not yet folded are part of the rollups as they stand.
      await sql`LOCK TABLE payment_rollup_changes, funnel_rollup_changes, supporter_rollup_changes IN SHARE ROW EXCLUSIVE MODE`.execute(
        trx,
      );
      await foldRollupChanges(trx);
      const rollups = Object.entries(rollupRows(publicationId));
      for (const [i, [, rows]] of rollups.entries()) {
        await sql`CREATE TEMP TABLE ${sql.table(`rollup_before_${i}`)} ON COMMIT DROP AS ${rows}`.execute(trx);
      }
      await recomputeRollups(trx, publicationId);
      for (const [i, [name, rows]] of rollups.entries()) {
        const before = sql`SELECT * FROM ${sql.table(`rollup_before_${i}`)}`;
        const { rows: counted } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM (((${before}) EXCEPT (${rows})) UNION ALL ((${rows}) EXCEPT (${before}))) x`.execute(trx);
        differences[name] = Number(counted[0]?.n ?? 0);
      }
      throw new RolledBack();
    });
  } catch (err) {
    // Taking the locks can meet an applier batch or a beacon flush folding at that moment: a deadlock, so again.
    if (isRetryableTransactionError(err) && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      return rollupDifferences(db, publicationId, attempt + 1);
    }
    if (!(err instanceof RolledBack)) throw err;
  }
  return differences;
}
