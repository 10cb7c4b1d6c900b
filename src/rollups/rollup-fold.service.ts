import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { isRetryableTransactionError } from '../db/database-errors.js';
import { schedulePeriodic } from '../ops/periodic-job.js';

// Any fixed number, the same in every instance: with the publication id, the key of the lock that lets
// only one instance fold a publication at a time.
const FOLD_LOCK_KEY = 0x666f6c64; // "fold"
const MAX_ATTEMPTS = 5;

export interface FoldResult {
  publications: number;
  /** Publications another instance was folding at the same moment (left to it). */
  skipped: number;
  /** Rollup rows merged away. */
  rowsRemoved: number;
}

/**
 * Merges the rollup shards of every day before today (in each publication's time zone), and of every
 * month before this one, into shard 0. Shards spare concurrent webhooks and beacons a queue on
 * today's rows; on past days they only multiply the rows reports read (16 times at most). Sums are
 * unchanged, so a fold never changes a report, and it is safe while webhooks arrive: one transaction
 * per publication, retried on a deadlock.
 */
export async function foldRollupShards(db: Db, now: Date = new Date()): Promise<FoldResult> {
  const publications = await db.selectFrom('publications').select('id').orderBy('id').execute();
  const result: FoldResult = { publications: 0, skipped: 0, rowsRemoved: 0 };
  for (const { id } of publications) {
    const removed = await foldPublication(db, id, now);
    if (removed === undefined) result.skipped++;
    else {
      result.publications++;
      result.rowsRemoved += removed;
    }
  }
  return result;
}

async function foldPublication(db: Db, publicationId: number, now: Date): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const lock = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${FOLD_LOCK_KEY}, ${publicationId}) AS locked`.execute(trx);
        if (!lock.rows[0]?.locked) return undefined;
        const folded = await sql<{ removed: string }>`
          SELECT favour_fold_rollup_shards(p.id, (${now}::timestamptz AT TIME ZONE p.time_zone)::date) AS removed
          FROM publications p WHERE p.id = ${publicationId}`.execute(trx);
        return Number(folded.rows[0]?.removed ?? 0);
      });
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
    }
  }
}

/** Folds every interval (the first time a minute after start); returns a function that stops it. */
export function scheduleRollupFolding(deps: { db: Db; logger: Logger; now: () => Date }, intervalSeconds: number): () => void {
  return schedulePeriodic({
    firstAfterMs: 60_000,
    intervalSeconds,
    run: async () => {
      const started = performance.now();
      const result = await foldRollupShards(deps.db, deps.now());
      deps.logger.debug({ ...result, ms: Math.round(performance.now() - started) }, 'folded rollup shards');
    },
    onError: (err) => deps.logger.error({ err: err instanceof Error ? err.message : err }, 'folding rollup shards failed; will retry next interval'),
  });
}

/**
 * Recomputes one publication's rollups from its payments and widget counters, in one transaction (for
 * `favour rollups rebuild`, should a check ever find them wrong). Locks out concurrent writers of the
 * publication's rollups for as long as it runs.
 */
export async function rebuildAllRollups(db: Db, publicationId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT favour_rebuild_rollups(${publicationId})`.execute(trx);
    for (const table of ['widget_daily_totals', 'article_monthly_funnel', 'variant_daily_funnel']) {
      await sql`DELETE FROM ${sql.table(table)} WHERE publication_id = ${publicationId}`.execute(trx);
    }
    await sql`INSERT INTO widget_daily_totals (publication_id, day, shard, impressions, clicks, checkouts, paid)
      SELECT publication_id, day, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM widget_daily_counters
      WHERE publication_id = ${publicationId} GROUP BY 1, 2`.execute(trx);
    await sql`INSERT INTO article_monthly_funnel (publication_id, month, article_url, shard, impressions, clicks, checkouts, paid)
      SELECT publication_id, date_trunc('month', day)::date, article_url, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid)
      FROM widget_daily_counters WHERE publication_id = ${publicationId} GROUP BY 1, 2, 3`.execute(trx);
    await sql`INSERT INTO variant_daily_funnel (publication_id, day, variant, shard, impressions, clicks, checkouts, paid)
      SELECT publication_id, day, variant, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM widget_daily_counters
      WHERE publication_id = ${publicationId} GROUP BY 1, 2, 3`.execute(trx);
    await sql`SELECT favour_refresh_supporter_totals(id) FROM supporters WHERE publication_id = ${publicationId}`.execute(trx);
  });
}
