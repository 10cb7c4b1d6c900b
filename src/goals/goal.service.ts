import type { Logger } from 'pino';
import type { DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import type { Goal } from '../publications/publication.schema.js';
import { goalOf } from '../publications/publication.service.js';
import { addDays, type DateRange, nextMonth } from '../reports/report-query.schema.js';
import { countNewSupporters, dailyMembershipChanges, paymentTotals, type ReportScope } from '../reports/report.repository.js';
import { localDay } from '../widget/widget.service.js';

/** How far a goal is, in any language: the widget, the donate page and the dashboard show it. */
export interface GoalProgress {
  kind: Goal['kind'];
  currency: string | null;
  target: number;
  current: number;
  period: Goal['period'];
  period_start: string;
  period_end: string;
  reached: boolean;
}

/** The goal's period that holds `today` (a local day), or undefined when none does (not started, or over). */
export function goalPeriod(goal: Goal, today: string): DateRange | undefined {
  if (goal.starts && today < goal.starts) return undefined;
  if (goal.period === 'campaign') return goal.ends && today <= goal.ends ? { from: goal.starts!, to: goal.ends } : undefined;
  const monthStart = `${today.slice(0, 7)}-01`;
  // The first month of a goal that starts mid-month counts from its start.
  return { from: goal.starts && goal.starts > monthStart ? goal.starts : monthStart, to: addDays(nextMonth(monthStart), -1) };
}

/**
 * The goal's current figure, from the same queries as the reports: net revenue (gross − refunded − disputed) in the
 * goal's currency, memberships started, or new supporters, over the period in the publication's days.
 */
export async function measureGoal(db: DbExecutor, publication: PublicationRow, goal: Goal, now: Date): Promise<GoalProgress | null> {
  const range = goalPeriod(goal, localDay(now, publication.time_zone));
  if (!range) return null;
  const scope: ReportScope = { publicationId: publication.id, timeZone: publication.time_zone };
  let current = 0;
  if (goal.kind === 'amount') {
    for (const row of await paymentTotals(db, scope, range))
      if (row.currency === goal.currency) current += Number(row.gross) - Number(row.refunded) - Number(row.disputed);
  } else if (goal.kind === 'members') {
    for (const row of await dailyMembershipChanges(db, scope, range)) current += Number(row.started);
  } else {
    current = await countNewSupporters(db, scope, range);
  }
  return {
    kind: goal.kind,
    currency: goal.kind === 'amount' ? goal.currency! : null,
    target: goal.target,
    current,
    period: goal.period,
    period_start: range.from,
    period_end: range.to,
    reached: current >= goal.target,
  };
}

export interface GoalTracker {
  /** The publication's goal progress, at most `maxAgeMs` old (plus one query); null without a running goal. */
  progressOf(publication: PublicationRow): Promise<GoalProgress | null>;
}

/**
 * Goal progress from memory for the article-page path: measured on first use, then again in the background once
 * older than `maxAgeMs` (the stale figure is served meanwhile), so a page view never waits for the query twice.
 * A changed goal (or time zone) is measured anew at once.
 */
export function createGoalTracker(deps: { db: DbExecutor; now: () => Date; logger?: Logger; maxAgeMs?: number }): GoalTracker {
  const maxAgeMs = deps.maxAgeMs ?? 20_000;
  const known = new Map<number, { key: string; at: number; progress: GoalProgress | null; refreshing?: Promise<void> }>();

  async function measure(
    publication: PublicationRow,
    goal: Goal,
    key: string,
    previous: GoalProgress | null,
  ): Promise<GoalProgress | null> {
    const at = deps.now().getTime();
    let progress = previous;
    try {
      progress = await measureGoal(deps.db, publication, goal, deps.now());
    } catch (err) {
      // The appeal must not fail for its meter: the last figure stays (none at first) and is measured again later.
      deps.logger?.warn(
        { err: err instanceof Error ? err.message : String(err), publication: publication.slug },
        'goal meter: not measured',
      );
    }
    known.set(publication.id, { key, at, progress });
    return progress;
  }

  return {
    async progressOf(publication) {
      const goal = goalOf(publication);
      if (!goal) return null;
      const key = `${publication.time_zone} ${JSON.stringify(goal)}`;
      const entry = known.get(publication.id);
      if (!entry || entry.key !== key) return measure(publication, goal, key, null);
      if (deps.now().getTime() - entry.at > maxAgeMs && !entry.refreshing) {
        entry.refreshing = measure(publication, goal, key, entry.progress).then(() => undefined);
      }
      return entry.progress;
    },
  };
}
