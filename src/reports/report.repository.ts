import { type RawBuilder, sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import { addDays, type DateRange, daysBetween, nextMonth } from './report-query.schema.js';
import { paidAfterReminder } from '../reminders/reminder.repository.js';
import { donationConditions, endOf, LIVE_MEMBERSHIP, startOf, supporterConditions } from './report-conditions.repository.js';

/** A publication's report scope: its id and the time zone its days are counted in. */
export interface ReportScope {
  publicationId: number;
  timeZone: string;
}

// Memberships that count as paying members: not a trial, not an abandoned first payment, not on hold.
const COUNTED_MEMBERSHIP = sql`m.status NOT IN ('incomplete', 'incomplete_expired', 'trialing', 'unpaid', 'paused')`;
// Twelve times the monthly amount: an integer for monthly and yearly plans, so MRR adds up exactly.
const TWELFTHS = sql`round(m.amount * CASE m.interval WHEN 'year' THEN 1.0 WHEN 'month' THEN 12.0 WHEN 'week' THEN 52.0 WHEN 'day' THEN 365.0 ELSE 12.0 END / m.interval_count)::bigint`;

export interface PaymentTotalsRow {
  currency: string;
  kind: 'one_off' | 'membership';
  payments: number;
  gross: number;
  refunded: number;
  disputed: number;
}

export async function paymentTotals(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<PaymentTotalsRow[]> {
  const result = await sql<PaymentTotalsRow>`
    SELECT currency, kind, sum(payments)::bigint AS payments, sum(gross)::bigint AS gross,
      sum(refunded)::bigint AS refunded, sum(disputed)::bigint AS disputed
    FROM payment_daily_totals
    WHERE publication_id = ${scope.publicationId} AND day BETWEEN ${range.from}::date AND ${range.to}::date
    GROUP BY currency, kind ORDER BY currency, kind`.execute(db);
  return result.rows;
}

export async function countNewSupporters(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<number> {
  const result = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM supporters
    WHERE publication_id = ${scope.publicationId}
      AND first_paid_at >= ${startOf(range.from, scope.timeZone)} AND first_paid_at < ${endOf(range.to, scope.timeZone)}`.execute(db);
  return result.rows[0]?.count ?? 0;
}

export interface MembersRow {
  currency: string;
  members: number;
  twelfths: number;
}

/** Paying members and their monthly value at an instant. */
async function membersAt(db: DbExecutor, scope: ReportScope, at: RawBuilder<unknown>): Promise<MembersRow[]> {
  const result = await sql<MembersRow>`
    SELECT m.currency, count(*)::int AS members, sum(${TWELFTHS})::bigint AS twelfths
    FROM memberships m
    WHERE m.publication_id = ${scope.publicationId} AND ${COUNTED_MEMBERSHIP}
      AND m.started_at < ${at} AND (m.ended_at IS NULL OR m.ended_at >= ${at})
    GROUP BY m.currency ORDER BY m.currency`.execute(db);
  return result.rows;
}

/** Paying members at the end of a local day (the summary's active members and MRR). */
export const membersAtEndOf = (db: DbExecutor, scope: ReportScope, day: string) => membersAt(db, scope, endOf(day, scope.timeZone));

/** Members at the start of a local day (the base the daily changes add to). */
export const membersAtStartOf = (db: DbExecutor, scope: ReportScope, day: string) => membersAt(db, scope, startOf(day, scope.timeZone));

export async function countChurnedMembers(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<number> {
  const result = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM memberships m
    WHERE m.publication_id = ${scope.publicationId} AND m.status = 'canceled'
      AND m.ended_at >= ${startOf(range.from, scope.timeZone)} AND m.ended_at < ${endOf(range.to, scope.timeZone)}`.execute(db);
  return result.rows[0]?.count ?? 0;
}

export interface FunnelRow {
  impressions: number;
  clicks: number;
  checkouts: number;
  paid: number;
}

export async function funnelTotals(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<FunnelRow> {
  const result = await sql<FunnelRow>`
    SELECT coalesce(sum(impressions), 0)::bigint AS impressions, coalesce(sum(clicks), 0)::bigint AS clicks,
      coalesce(sum(checkouts), 0)::bigint AS checkouts, coalesce(sum(paid), 0)::bigint AS paid
    FROM widget_daily_totals
    WHERE publication_id = ${scope.publicationId} AND day BETWEEN ${range.from}::date AND ${range.to}::date`.execute(db);
  return result.rows[0]!;
}

export interface DailyRevenueRow {
  day: string;
  currency: string;
  gross: number;
  refunded: number;
  disputed: number;
  payments: number;
}

export async function dailyRevenue(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<DailyRevenueRow[]> {
  const result = await sql<DailyRevenueRow>`
    SELECT day, currency, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded,
      sum(disputed)::bigint AS disputed, sum(payments)::bigint AS payments
    FROM payment_daily_totals
    WHERE publication_id = ${scope.publicationId} AND day BETWEEN ${range.from}::date AND ${range.to}::date
    GROUP BY day, currency ORDER BY day, currency`.execute(db);
  return result.rows;
}

export async function dailyNewSupporters(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<{ day: string; count: number }[]> {
  const result = await sql<{ day: string; count: number }>`
    SELECT (first_paid_at AT TIME ZONE ${scope.timeZone})::date AS day, count(*)::int AS count
    FROM supporters
    WHERE publication_id = ${scope.publicationId}
      AND first_paid_at >= ${startOf(range.from, scope.timeZone)} AND first_paid_at < ${endOf(range.to, scope.timeZone)}
    GROUP BY 1 ORDER BY 1`.execute(db);
  return result.rows;
}

export async function countSupportersBefore(db: DbExecutor, scope: ReportScope, day: string): Promise<number> {
  const result = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM supporters
    WHERE publication_id = ${scope.publicationId} AND first_paid_at < ${startOf(day, scope.timeZone)}`.execute(db);
  return result.rows[0]?.count ?? 0;
}

export interface MembershipChangeRow {
  day: string;
  currency: string;
  started: number;
  started_twelfths: number;
  ended: number;
  ended_twelfths: number;
}

/** Memberships starting and ending on each local day of the range (for members and MRR over time). */
export async function dailyMembershipChanges(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<MembershipChangeRow[]> {
  const tz = scope.timeZone;
  const [from, to] = [startOf(range.from, tz), endOf(range.to, tz)];
  const result = await sql<MembershipChangeRow>`
    SELECT day, currency, sum(started)::int AS started, sum(started_twelfths)::bigint AS started_twelfths,
      sum(ended)::int AS ended, sum(ended_twelfths)::bigint AS ended_twelfths
    FROM (
      SELECT (m.started_at AT TIME ZONE ${tz})::date AS day, m.currency, 1 AS started, ${TWELFTHS} AS started_twelfths, 0 AS ended, 0::bigint AS ended_twelfths
      FROM memberships m
      WHERE m.publication_id = ${scope.publicationId} AND ${COUNTED_MEMBERSHIP} AND m.started_at >= ${from} AND m.started_at < ${to}
      UNION ALL
      SELECT (m.ended_at AT TIME ZONE ${tz})::date, m.currency, 0, 0, 1, ${TWELFTHS}
      FROM memberships m
      WHERE m.publication_id = ${scope.publicationId} AND ${COUNTED_MEMBERSHIP} AND m.ended_at >= ${from} AND m.ended_at < ${to}
    ) changes
    GROUP BY day, currency ORDER BY day, currency`.execute(db);
  return result.rows;
}

export interface ArticleFunnelRow {
  key: string;
  impressions: number;
  clicks: number;
  checkouts: number;
  paid: number;
}

export interface ArticleRevenueRow {
  key: string;
  currency: string;
  payments: number;
  one_off: number;
  gross: number;
  refunded: number;
  disputed: number;
}

/** How the articles report adds up a range from monthly and daily rollups; days are inclusive [from, to] pairs. */
export interface ArticleRangePlan {
  /** Months read from the monthly rollups, as [first, end) month starts. */
  months?: { first: string; end: string };
  /** Days read from the daily rollups and added. */
  add: [string, string][];
  /** Days of a month in `months` that are outside the range: read from the daily rollups and subtracted. */
  subtract: [string, string][];
}

/**
 * Plans a range: whole months come from the monthly rollups; a month the range covers only in part is
 * either its covered days (from the daily rollups) or the whole month minus its other days, whichever
 * reads fewer days. A monthly row is exactly the sum of its month's daily rows, so both are exact.
 */
export function planArticleRange(range: DateRange): ArticleRangePlan {
  const plan: ArticleRangePlan = { add: [], subtract: [] };
  const length = (from: string, to: string) => daysBetween(from, to) + 1;
  const monthly: string[] = []; // month starts; contiguous, since only the first and last month can be partial
  for (let month = `${range.from.slice(0, 7)}-01`; month <= range.to; month = nextMonth(month)) {
    const last = addDays(nextMonth(month), -1);
    const [lo, hi] = [range.from > month ? range.from : month, range.to < last ? range.to : last];
    const covered = length(lo, hi);
    if (length(month, last) - covered < covered) {
      monthly.push(month);
      if (lo > month) plan.subtract.push([month, addDays(lo, -1)]);
      if (hi < last) plan.subtract.push([addDays(hi, 1), last]);
    } else plan.add.push([lo, hi]);
  }
  if (monthly.length > 0) plan.months = { first: monthly[0]!, end: nextMonth(monthly[monthly.length - 1]!) };
  return plan;
}

/**
 * Funnel and revenue per article URL or per variant ('' when none) over the range. Articles read
 * months from the monthly rollups and only days at either end from the daily ones (planArticleRange);
 * variants (a handful) read their own daily rollups.
 */
export async function articleBreakdown(
  db: DbExecutor,
  scope: ReportScope,
  range: DateRange,
  by: 'article_url' | 'variant',
): Promise<{ funnel: ArticleFunnelRow[]; revenue: ArticleRevenueRow[] }> {
  const pub = scope.publicationId;
  const daysIn = ([from, to]: [string, string]) => sql`publication_id = ${pub} AND day >= ${from}::date AND day <= ${to}::date`;
  const funnelSums = sql`sum(impressions)::bigint AS impressions, sum(clicks)::bigint AS clicks, sum(checkouts)::bigint AS checkouts, sum(paid)::bigint AS paid`;
  const revenueSums = sql`sum(payments)::bigint AS payments, sum(one_off)::bigint AS one_off, sum(gross)::bigint AS gross,
    sum(refunded)::bigint AS refunded, sum(disputed)::bigint AS disputed`;

  if (by === 'variant') {
    const funnel = await sql<ArticleFunnelRow>`SELECT variant AS key, ${funnelSums} FROM variant_daily_funnel
      WHERE ${daysIn([range.from, range.to])} GROUP BY variant`.execute(db);
    const revenue = await sql<ArticleRevenueRow>`SELECT variant AS key, currency, ${revenueSums} FROM variant_daily_totals
      WHERE ${daysIn([range.from, range.to])} GROUP BY variant, currency`.execute(db);
    return { funnel: funnel.rows, revenue: revenue.rows };
  }

  const plan = planArticleRange(range);
  // The rows to add up: months from `monthly`, plus and minus days from `daily`.
  const parts = (monthly: string, daily: string, keys: string[], sums: string[]) => {
    const columns = (sign: 1 | -1) => sql.raw([...keys, ...sums.map((c) => (sign === 1 ? c : `-${c} AS ${c}`))].join(', '));
    const selects = [
      ...(plan.months
        ? [
            sql`SELECT article_url AS key, ${columns(1)} FROM ${sql.table(monthly)}
            WHERE publication_id = ${pub} AND month >= ${plan.months.first}::date AND month < ${plan.months.end}::date`,
          ]
        : []),
      ...plan.add.map((days) => sql`SELECT article_url AS key, ${columns(1)} FROM ${sql.table(daily)} WHERE ${daysIn(days)}`),
      ...plan.subtract.map((days) => sql`SELECT article_url AS key, ${columns(-1)} FROM ${sql.table(daily)} WHERE ${daysIn(days)}`),
    ];
    return sql.join(selects, sql` UNION ALL `);
  };
  const FUNNEL = ['impressions', 'clicks', 'checkouts', 'paid'];
  const REVENUE = ['payments', 'one_off', 'gross', 'refunded', 'disputed'];
  // Keys that add up to nothing (all their days subtracted away, or rows zeroed by later changes) are left out.
  const anyOf = (sums: string[]) => sql.raw(sums.map((c) => `sum(${c}) <> 0`).join(' OR '));
  const funnel = await sql<ArticleFunnelRow>`SELECT key, ${funnelSums}
    FROM (${parts('article_monthly_funnel', 'widget_daily_counters', [], FUNNEL)}) x GROUP BY key HAVING ${anyOf(FUNNEL)}`.execute(db);
  const revenue = await sql<ArticleRevenueRow>`SELECT key, currency, ${revenueSums}
    FROM (${parts('article_monthly_totals', 'article_daily_totals', ['currency'], REVENUE)}) x GROUP BY key, currency
    HAVING ${anyOf(REVENUE)}`.execute(db);
  return { funnel: funnel.rows, revenue: revenue.rows };
}

export interface PromptTotalsRow {
  key: string;
  upsell_shown: number;
  upsell_accepted: number;
}

/** The widget's "make it monthly" offers shown and taken per article URL or per variant ('' when none) over the range. */
export async function promptTotals(
  db: DbExecutor,
  scope: ReportScope,
  range: DateRange,
  by: 'article_url' | 'variant',
): Promise<PromptTotalsRow[]> {
  const result = await sql<PromptTotalsRow>`
    SELECT ${sql.ref(by)} AS key, sum(upsell_shown)::bigint AS upsell_shown, sum(upsell_accepted)::bigint AS upsell_accepted
    FROM widget_prompt_counters
    WHERE publication_id = ${scope.publicationId} AND day BETWEEN ${range.from}::date AND ${range.to}::date
    GROUP BY 1`.execute(db);
  return result.rows;
}

export interface FeeCoverRow {
  key: string;
  currency: string;
  /** Payments in the range whose reader covered the fees, and what they added. */
  payments: number;
  fees_covered: number;
}

/**
 * "Cover the fees" over the range: the succeeded payments that carried a fee cover, per currency, and per article URL
 * or variant ('' when none) when `by` is given. Read from payments themselves: only those with a fee cover are indexed.
 */
export async function feeCoverTotals(
  db: DbExecutor,
  scope: ReportScope,
  range: DateRange,
  by?: 'article_url' | 'variant',
): Promise<FeeCoverRow[]> {
  const key = by ? sql`coalesce(${sql.ref(by)}, '')` : sql`''`;
  const result = await sql<FeeCoverRow>`
    SELECT ${key} AS key, currency, count(*)::bigint AS payments, sum(fee_cover_amount)::bigint AS fees_covered
    FROM payments
    WHERE publication_id = ${scope.publicationId} AND fee_cover_amount > 0 AND base_status = 'succeeded'
      AND paid_at >= ${startOf(range.from, scope.timeZone)} AND paid_at < ${endOf(range.to, scope.timeZone)}
    GROUP BY 1, 2`.execute(db);
  return result.rows;
}

export interface SupporterFilters {
  status?: string | undefined;
  oneOffOnly?: boolean | undefined;
  lapsed?: boolean | undefined;
  minLifetime?: { amount: number; currency: string } | undefined;
  since?: string | undefined;
  search?: string | undefined;
}

export interface SupporterListRow {
  id: number;
  email: string;
  name: string | null;
  first_paid_at: Date | null;
  last_paid_at: Date | null;
}

/** One page of supporters, keyset-paginated by id (stable under concurrent inserts). */
export async function listSupporters(
  db: DbExecutor,
  scope: ReportScope,
  filters: SupporterFilters,
  page: { afterId?: number | undefined; limit: number; order: 'newest' | 'oldest' },
): Promise<SupporterListRow[]> {
  const where = supporterConditions(scope, filters);
  if (page.afterId !== undefined) where.push(page.order === 'newest' ? sql`s.id < ${page.afterId}` : sql`s.id > ${page.afterId}`);
  const result = await sql<SupporterListRow>`
    SELECT s.id, s.email, s.name, s.first_paid_at, s.last_paid_at FROM supporters s
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY s.id ${page.order === 'newest' ? sql`DESC` : sql`ASC`}
    LIMIT ${page.limit}`.execute(db);
  return result.rows;
}

export interface SupporterTotalsRow {
  supporter_id: number;
  currency: string;
  payments: number;
  gross: number;
  refunded: number;
}

export async function supporterTotals(db: DbExecutor, supporterIds: number[]): Promise<SupporterTotalsRow[]> {
  if (supporterIds.length === 0) return [];
  return db.selectFrom('supporter_totals').selectAll().where('supporter_id', 'in', supporterIds).orderBy('currency').execute();
}

/** Each supporter's current membership: a live one if any, else the most recent. */
export async function currentMemberships(db: DbExecutor, supporterIds: number[]) {
  if (supporterIds.length === 0) return [];
  const result = await sql<{
    supporter_id: number;
    subscription_id: string;
    status: string;
    amount: number;
    currency: string;
    interval: string;
    current_period_end: Date | null;
    cancel_at_period_end: boolean;
    started_at: Date;
  }>`
    SELECT DISTINCT ON (m.supporter_id) m.supporter_id, m.subscription_id, m.status, m.amount, m.currency, m.interval,
      m.current_period_end, m.cancel_at_period_end, m.started_at
    FROM memberships m WHERE m.supporter_id IN (${sql.join(supporterIds)})
    ORDER BY m.supporter_id, (m.status IN ${LIVE_MEMBERSHIP}) DESC, m.started_at DESC`.execute(db);
  return result.rows;
}

export interface DonationFilters {
  status?: string | undefined;
  kind?: string | undefined;
  currency?: string | undefined;
  articleUrl?: string | undefined;
  variant?: string | undefined;
}

export interface DonationRow {
  id: number;
  source_id: string;
  kind: string;
  amount: number;
  currency: string;
  status: string;
  refunded_amount: number;
  fee_cover_amount: number;
  dispute_status: string | null;
  created_at: Date;
  paid_at: Date | null;
  article_url: string | null;
  variant: string | null;
  billing_reason: string | null;
  subscription_id: string | null;
  supporter_id: number | null;
  email: string | null;
  name: string | null;
}

const DONATION_COLUMNS = sql`p.id, p.source_id, p.kind, p.amount, p.currency, p.status, p.refunded_amount, p.fee_cover_amount, p.dispute_status,
  p.created_at, p.paid_at, p.article_url, p.variant, p.billing_reason, p.subscription_id, p.supporter_id, s.email, s.name`;

export async function listDonations(
  db: DbExecutor,
  scope: ReportScope,
  range: DateRange,
  filters: DonationFilters,
  page: { beforeId?: number | undefined; limit: number },
): Promise<DonationRow[]> {
  const where = donationConditions(scope, range, filters);
  if (page.beforeId !== undefined) where.push(sql`p.id < ${page.beforeId}`);
  const result = await sql<DonationRow>`
    SELECT ${DONATION_COLUMNS} FROM payments p LEFT JOIN supporters s ON s.id = p.supporter_id
    WHERE ${sql.join(where, sql` AND `)} ORDER BY p.id DESC LIMIT ${page.limit}`.execute(db);
  return result.rows;
}

export interface ReminderFunnelRow {
  asked: number;
  confirmed: number;
  sent: number;
  converted: number;
  unsubscribed: number;
}

/** "Remind me later" sign-ups made in the range: asked, confirmed, reminded, and converted (paid soon after). */
export async function reminderFunnel(db: DbExecutor, scope: ReportScope, range: DateRange): Promise<ReminderFunnelRow> {
  const result = await sql<ReminderFunnelRow>`
    SELECT count(*)::int AS asked,
      count(*) FILTER (WHERE r.confirmed_at IS NOT NULL)::int AS confirmed,
      count(sent.id)::int AS sent,
      count(*) FILTER (WHERE r.converted_at IS NOT NULL OR (sent.id IS NOT NULL AND ${paidAfterReminder('r', 'sent')}))::int AS converted,
      count(*) FILTER (WHERE r.unsubscribed_at IS NOT NULL)::int AS unsubscribed
    FROM reminders r
    LEFT JOIN outbound_emails sent ON sent.reminder_id = r.id AND sent.kind = 'reminder' AND sent.status = 'sent'
    WHERE r.publication_id = ${scope.publicationId}
      AND r.created_at >= ${startOf(range.from, scope.timeZone)} AND r.created_at < ${endOf(range.to, scope.timeZone)}`.execute(db);
  return result.rows[0] ?? { asked: 0, confirmed: 0, sent: 0, converted: 0, unsubscribed: 0 };
}
