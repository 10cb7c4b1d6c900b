import type { Db, DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { HttpError } from '../http/http-error.js';
import { findPublicationById } from '../publications/publication.repository.js';
import { localDay } from '../widget/widget.service.js';
import { addDays, type DateRange, daysBetween, MAX_RANGE_DAYS, nextMonth, resolveRange } from './report-query.schema.js';
import * as repo from './report.repository.js';
import type { ArticlesReport, CurrencySummary, Summary, TimeSeries } from './report-types.js';

export interface ReportContext {
  db: DbExecutor;
  publication: PublicationRow;
  now: Date;
}

const scopeOf = (p: PublicationRow): repo.ReportScope => ({ publicationId: p.id, timeZone: p.time_zone });

/** Validated range in the publication's days; 400 naming the parameter when it is unusable. */
/** The context of a request made with an API key: its publication, which must still exist (else 403). */
export async function reportContextFor(db: Db, publicationId: number, now: Date): Promise<ReportContext> {
  const publication = await findPublicationById(db, publicationId);
  if (!publication) throw new HttpError(403, 'forbidden', 'The publication of this API key no longer exists.');
  return { db, publication, now };
}

export function rangeFor(ctx: ReportContext, query: { from?: string | undefined; to?: string | undefined }): DateRange {
  const range = resolveRange(query, localDay(ctx.now, ctx.publication.time_zone));
  if (range.from > range.to) throw new HttpError(400, 'invalid_request', 'from: must not be after to.', 'from');
  if (daysBetween(range.from, range.to) > MAX_RANGE_DAYS)
    throw new HttpError(400, 'invalid_request', `from: the range may span at most ${MAX_RANGE_DAYS} days.`, 'from');
  return range;
}

const rate = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : null);
const mrrOf = (twelfths: number): number => Math.round(twelfths / 12);

/** GET /api/reports/summary */
export async function summary(ctx: ReportContext, query: { from?: string | undefined; to?: string | undefined }): Promise<Summary> {
  const range = rangeFor(ctx, query);
  const scope = scopeOf(ctx.publication);
  const [totals, newSupporters, members, churned, funnel, feeCovers, reminders] = await Promise.all([
    repo.paymentTotals(ctx.db, scope, range),
    repo.countNewSupporters(ctx.db, scope, range),
    repo.membersAtEndOf(ctx.db, scope, range.to),
    repo.countChurnedMembers(ctx.db, scope, range),
    repo.funnelTotals(ctx.db, scope, range),
    repo.feeCoverTotals(ctx.db, scope, range),
    repo.reminderFunnel(ctx.db, scope, range),
  ]);

  const currencies: Record<string, CurrencySummary> = {};
  const entry = (currency: string) =>
    (currencies[currency] ??= {
      gross: 0,
      refunded: 0,
      disputed: 0,
      net: 0,
      payments: 0,
      one_off: 0,
      recurring: 0,
      average_gift: 0,
      mrr: 0,
      active_members: 0,
    });
  for (const code of Object.keys(ctx.publication.currencies)) entry(code);
  for (const row of totals) {
    const c = entry(row.currency);
    c.gross += row.gross;
    c.refunded += row.refunded;
    c.disputed += row.disputed;
    c.payments += row.payments;
    if (row.kind === 'one_off') c.one_off += row.payments;
    else c.recurring += row.payments;
  }
  for (const row of members) {
    const c = entry(row.currency);
    c.mrr = mrrOf(row.twelfths);
    c.active_members = row.members;
  }
  for (const c of Object.values(currencies)) {
    c.net = c.gross - c.refunded - c.disputed;
    c.average_gift = c.payments > 0 ? Math.round(c.gross / c.payments) : 0;
  }
  const pick = (field: keyof CurrencySummary) => Object.fromEntries(Object.entries(currencies).map(([code, c]) => [code, c[field]]));
  const sum = (field: keyof CurrencySummary) => Object.values(currencies).reduce((total, c) => total + c[field], 0);

  return {
    publication: ctx.publication.slug,
    time_zone: ctx.publication.time_zone,
    from: range.from,
    to: range.to,
    currencies,
    gross: pick('gross'),
    refunded: pick('refunded'),
    net: pick('net'),
    mrr: pick('mrr'),
    average_gift: pick('average_gift'),
    // Beside the per-currency figures rather than among them: what readers added, part of gross.
    fees_covered: {
      ...Object.fromEntries(Object.keys(currencies).map((code) => [code, 0])),
      ...Object.fromEntries(feeCovers.map((row) => [row.currency, row.fees_covered])),
    },
    one_off: sum('one_off'),
    recurring: sum('recurring'),
    new_supporters: newSupporters,
    active_members: sum('active_members'),
    churned_members: churned,
    funnel: {
      impressions: funnel.impressions,
      clicks: funnel.clicks,
      checkouts: funnel.checkouts,
      paid: funnel.paid,
      click_rate: rate(funnel.clicks, funnel.impressions),
      checkout_rate: rate(funnel.checkouts, funnel.clicks),
      payment_rate: rate(funnel.paid, funnel.checkouts),
      conversion_rate: rate(funnel.paid, funnel.impressions),
    },
    reminders: {
      ...reminders,
      confirm_rate: rate(reminders.confirmed, reminders.asked),
      conversion_rate: rate(reminders.converted, reminders.sent),
    },
  };
}

/** The first day of the bucket a day falls in (ISO weeks start on Monday). */
export function bucketStart(day: string, interval: 'day' | 'week' | 'month'): string {
  if (interval === 'day') return day;
  if (interval === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

function buckets(range: DateRange, interval: 'day' | 'week' | 'month'): string[] {
  const list: string[] = [];
  let current = bucketStart(range.from, interval);
  while (current <= range.to) {
    list.push(current);
    current = interval === 'day' ? addDays(current, 1) : interval === 'week' ? addDays(current, 7) : nextMonth(current);
  }
  return list;
}

type Metric = 'revenue' | 'supporters' | 'members' | 'mrr';

/** GET /api/reports/timeseries: one point per bucket, empty buckets included. */
export async function timeseries(
  ctx: ReportContext,
  query: { from?: string | undefined; to?: string | undefined; metric: Metric; interval: 'day' | 'week' | 'month' },
): Promise<TimeSeries> {
  const range = rangeFor(ctx, query);
  const scope = scopeOf(ctx.publication);
  const periods = buckets(range, query.interval);
  const index = new Map(periods.map((p, i) => [p, i]));
  const at = (day: string) => index.get(bucketStart(day, query.interval))!;
  const codes = Object.keys(ctx.publication.currencies);
  const zeros = () => Object.fromEntries(codes.map((c) => [c, 0])) as Record<string, number>;
  const head = {
    publication: ctx.publication.slug,
    time_zone: ctx.publication.time_zone,
    from: range.from,
    to: range.to,
    interval: query.interval,
  };

  if (query.metric === 'revenue') {
    const points = periods.map((period) => ({ period, gross: zeros(), refunded: zeros(), net: zeros(), payments: 0 }));
    for (const row of await repo.dailyRevenue(ctx.db, scope, range)) {
      const p = points[at(row.day)]!;
      p.gross[row.currency] = (p.gross[row.currency] ?? 0) + row.gross;
      p.refunded[row.currency] = (p.refunded[row.currency] ?? 0) + row.refunded + row.disputed;
      p.net[row.currency] = (p.net[row.currency] ?? 0) + row.gross - row.refunded - row.disputed;
      p.payments += row.payments;
    }
    return { ...head, metric: 'revenue', points };
  }

  if (query.metric === 'supporters') {
    const [before, daily] = await Promise.all([
      repo.countSupportersBefore(ctx.db, scope, range.from),
      repo.dailyNewSupporters(ctx.db, scope, range),
    ]);
    const points = periods.map((period) => ({ period, new_supporters: 0, total_supporters: 0 }));
    for (const row of daily) points[at(row.day)]!.new_supporters += row.count;
    let total = before;
    for (const p of points) p.total_supporters = total += p.new_supporters;
    return { ...head, metric: 'supporters', points };
  }

  // members and mrr: the paying members at the start of the range, then each day's starts and ends.
  const [base, changes] = await Promise.all([
    repo.membersAtStartOf(ctx.db, scope, range.from),
    repo.dailyMembershipChanges(ctx.db, scope, range),
  ]);
  const started = periods.map(() => 0);
  const ended = periods.map(() => 0);
  const twelfthsDelta = periods.map(() => zeros());
  for (const row of changes) {
    const i = at(row.day);
    started[i]! += row.started;
    ended[i]! += row.ended;
    twelfthsDelta[i]![row.currency] = (twelfthsDelta[i]![row.currency] ?? 0) + row.started_twelfths - row.ended_twelfths;
  }
  let members = base.reduce((n, r) => n + r.members, 0);
  const twelfths = zeros();
  for (const r of base) twelfths[r.currency] = (twelfths[r.currency] ?? 0) + r.twelfths;
  const steps = periods.map((period, i) => {
    members += started[i]! - ended[i]!;
    for (const [code, delta] of Object.entries(twelfthsDelta[i]!)) twelfths[code] = (twelfths[code] ?? 0) + delta;
    const mrr = Object.fromEntries(Object.entries(twelfths).map(([code, t]) => [code, mrrOf(t)]));
    return { period, active_members: members, new_members: started[i]!, churned_members: ended[i]!, mrr };
  });
  return query.metric === 'members'
    ? { ...head, metric: 'members', points: steps.map(({ mrr: _mrr, ...point }) => point) }
    : { ...head, metric: 'mrr', points: steps.map(({ period, mrr }) => ({ period, mrr })) };
}

/** GET /api/reports/articles: funnel and revenue per article and per copy variant. */
export async function articles(
  ctx: ReportContext,
  query: { from?: string | undefined; to?: string | undefined; limit: number; sort: 'revenue' | 'impressions' | 'paid' | 'conversion' },
): Promise<ArticlesReport> {
  const range = rangeFor(ctx, query);
  const scope = scopeOf(ctx.publication);
  const [byArticle, byVariant, promptsByArticle, promptsByVariant, coversByArticle, coversByVariant] = await Promise.all([
    repo.articleBreakdown(ctx.db, scope, range, 'article_url'),
    repo.articleBreakdown(ctx.db, scope, range, 'variant'),
    repo.promptTotals(ctx.db, scope, range, 'article_url'),
    repo.promptTotals(ctx.db, scope, range, 'variant'),
    repo.feeCoverTotals(ctx.db, scope, range, 'article_url'),
    repo.feeCoverTotals(ctx.db, scope, range, 'variant'),
  ]);
  const shape = (
    breakdown: Awaited<ReturnType<typeof repo.articleBreakdown>>,
    prompts: repo.PromptTotalsRow[],
    covers: repo.FeeCoverRow[],
  ) => {
    const rows = new Map<string, ReturnType<typeof emptyRow>>();
    const row = (key: string) => {
      let r = rows.get(key);
      if (!r) rows.set(key, (r = emptyRow()));
      return r;
    };
    for (const f of breakdown.funnel)
      Object.assign(row(f.key), { impressions: f.impressions, clicks: f.clicks, checkouts: f.checkouts, paid: f.paid });
    for (const r of breakdown.revenue) {
      const target = row(r.key);
      target.payments += r.payments;
      target.paid_gifts += r.one_off;
      target.gross[r.currency] = (target.gross[r.currency] ?? 0) + r.gross;
      target.net[r.currency] = (target.net[r.currency] ?? 0) + r.gross - r.refunded - r.disputed;
    }
    for (const p of prompts) Object.assign(row(p.key), { upsell_shown: p.upsell_shown, upsell_accepted: p.upsell_accepted });
    for (const c of covers) {
      const target = row(c.key);
      target.fee_cover_payments += c.payments;
      target.fees_covered[c.currency] = (target.fees_covered[c.currency] ?? 0) + c.fees_covered;
    }
    return [...rows.entries()].map(([key, r]) => ({ key, ...r, conversion_rate: rate(r.paid, r.impressions) }));
  };
  // The rates of a row that is answered (thousands of articles are sorted, `limit` of them answered).
  const present = ({ key, ...r }: ReturnType<typeof shape>[number]) => ({
    key,
    ...r,
    click_rate: rate(r.clicks, r.impressions),
    upsell_rate: rate(r.upsell_accepted, r.upsell_shown),
    fee_cover_rate: rate(r.fee_cover_payments, r.payments),
    revenue_per_1000_impressions: Object.fromEntries(
      Object.entries(r.net).map(([code, net]) => [code, r.impressions > 0 ? Math.round((net * 1000) / r.impressions) : null]),
    ),
  });
  // Revenue is never added across currencies: it orders by net revenue in the publication's default
  // currency, then in each other currency in turn.
  const currencies = [ctx.publication.default_currency, ...Object.keys(ctx.publication.currencies).sort()].filter(
    (c, i, all) => all.indexOf(c) === i,
  );
  const sortKeys = (r: ReturnType<typeof shape>[number]): number[] =>
    query.sort === 'revenue'
      ? currencies.map((c) => r.net[c] ?? 0)
      : [query.sort === 'impressions' ? r.impressions : query.sort === 'conversion' ? (r.conversion_rate ?? -1) : r.paid];
  // Keys computed once per row, ties broken by URL in code-unit order: thousands of articles sort in a few ms.
  const sorted = (rows: ReturnType<typeof shape>) => {
    const keys = new Map(rows.map((r) => [r, sortKeys(r)]));
    return rows.sort((a, b) => {
      const [ka, kb] = [keys.get(a)!, keys.get(b)!];
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i]! - ka[i]!;
      return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    });
  };

  const articleRows = sorted(shape(byArticle, promptsByArticle, coversByArticle)).filter((r) => r.key !== '');
  return {
    publication: ctx.publication.slug,
    from: range.from,
    to: range.to,
    total_articles: articleRows.length,
    articles: articleRows.slice(0, query.limit).map((row) => {
      const { key, ...r } = present(row);
      return { article_url: key, ...r };
    }),
    variants: sorted(shape(byVariant, promptsByVariant, coversByVariant)).map((row) => {
      const { key, ...r } = present(row);
      return { variant: key === '' ? null : key, ...r };
    }),
  };
}

function emptyRow() {
  return {
    impressions: 0,
    clicks: 0,
    checkouts: 0,
    paid: 0,
    payments: 0,
    paid_gifts: 0,
    upsell_shown: 0,
    upsell_accepted: 0,
    fee_cover_payments: 0,
    fees_covered: {} as Record<string, number>,
    gross: {} as Record<string, number>,
    net: {} as Record<string, number>,
  };
}
