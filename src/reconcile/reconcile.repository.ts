import type { DbExecutor } from '../db/database.js';
import type { ReconcileRunRow } from '../db/tables/reconcile-run.table.js';

/** Which of these event ids are already stored. */
export async function storedEventIds(db: DbExecutor, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('stripe_events').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** How the given stored events were applied: changed something (applied or kept in the mirror) or ignored. */
export async function outcomesOf(db: DbExecutor, ids: string[]): Promise<{ applied: number; ignored: number; held: number }> {
  let applied = 0;
  let ignored = 0;
  let held = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db
      .selectFrom('stripe_events')
      .select(['outcome', 'status'])
      .where('id', 'in', ids.slice(i, i + 1000))
      .where('status', 'in', ['applied', 'held'])
      .execute();
    for (const row of rows) {
      if (row.status === 'held') held++;
      else if (row.outcome === 'ignored') ignored++;
      else applied++;
    }
  }
  return { applied, ignored, held };
}

export async function startReconcileRun(db: DbExecutor, startedAt: Date, since: Date): Promise<number> {
  const row = await db.insertInto('reconcile_runs').values({ started_at: startedAt, since }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function finishReconcileRun(
  db: DbExecutor,
  id: number,
  result: { finished_at: Date; fetched: number; already_had: number; applied: number; ignored: number; error: string | null },
): Promise<void> {
  await db.updateTable('reconcile_runs').set(result).where('id', '=', id).execute();
}

export async function lastReconcileRuns(
  db: DbExecutor,
): Promise<{ lastSuccess: ReconcileRunRow | undefined; lastRun: ReconcileRunRow | undefined }> {
  const [lastSuccess, lastRun] = await Promise.all([
    db
      .selectFrom('reconcile_runs')
      .selectAll()
      .where('error', 'is', null)
      .where('finished_at', 'is not', null)
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db.selectFrom('reconcile_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst(),
  ]);
  return { lastSuccess, lastRun };
}
