import { type RawBuilder, sql } from 'kysely';
import type { DateRange } from './report-query.schema.js';
import type { DonationFilters, ReportScope, SupporterFilters } from './report.repository.js';

/*
 * The WHERE conditions of the supporter and donation reports, shared by the JSON lists and the CSV exports so that
 * both filter alike.
 */

/** Local midnight of a date in the publication's time zone, as an instant (endOf: the next midnight). */
export const startOf = (day: string, tz: string) => sql`((${day}::date)::timestamp AT TIME ZONE ${tz})`;
export const endOf = (day: string, tz: string) => sql`(((${day}::date) + 1)::timestamp AT TIME ZONE ${tz})`;

/** Membership statuses that still bring money in. */
export const LIVE_MEMBERSHIP = sql`('active', 'trialing', 'past_due')`;

export function supporterConditions(scope: ReportScope, f: SupporterFilters): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [sql`s.publication_id = ${scope.publicationId}`];
  if (f.status) where.push(sql`EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id AND m.status = ${f.status})`);
  if (f.oneOffOnly) where.push(sql`NOT EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id)`);
  if (f.lapsed) {
    where.push(sql`EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id AND m.status IN ${LIVE_MEMBERSHIP})`);
  }
  if (f.minLifetime) {
    where.push(sql`EXISTS (SELECT 1 FROM supporter_totals t WHERE t.supporter_id = s.id AND t.currency = ${f.minLifetime.currency}
      AND t.gross - t.refunded >= ${f.minLifetime.amount})`);
  }
  if (f.since) where.push(sql`s.first_paid_at >= ${startOf(f.since, scope.timeZone)}`);
  if (f.search) {
    const pattern = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(sql`(s.email ILIKE ${pattern} OR s.name ILIKE ${pattern})`);
  }
  return where;
}

export function donationConditions(scope: ReportScope, range: DateRange, f: DonationFilters): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [
    sql`p.publication_id = ${scope.publicationId}`,
    sql`coalesce(p.paid_at, p.created_at) >= ${startOf(range.from, scope.timeZone)}`,
    sql`coalesce(p.paid_at, p.created_at) < ${endOf(range.to, scope.timeZone)}`,
  ];
  if (f.status) where.push(sql`p.status = ${f.status}`);
  if (f.kind) where.push(sql`p.kind = ${f.kind}`);
  if (f.currency) where.push(sql`p.currency = ${f.currency}`);
  if (f.articleUrl) where.push(sql`p.article_url = ${f.articleUrl}`);
  if (f.variant) where.push(sql`p.variant = ${f.variant}`);
  return where;
}
