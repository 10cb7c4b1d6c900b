import type { SupportersPage } from './report-types.js';
import type { BatchSource } from '../db/read-in-batches.js';
import { HttpError } from '../http/http-error.js';
import { exportDonations, exportSupporters } from './csv-export.repository.js';
import { rangeFor, type ReportContext } from './report.service.js';
import * as repo from './report.repository.js';

/** Opaque keyset cursors: the last id of the previous page. */
export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id: unknown };
    if (Number.isSafeInteger(id) && (id as number) >= 0) return id as number;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', 'cursor: not a cursor this API returned.', 'cursor');
}

export interface SupportersQuery {
  cursor?: string | undefined;
  limit: number;
  order: 'newest' | 'oldest';
  status?: string | undefined;
  one_off_only?: boolean | undefined;
  lapsed?: boolean | undefined;
  min_lifetime?: number | undefined;
  currency?: string | undefined;
  since?: string | undefined;
  q?: string | undefined;
}

export function supporterFilters(ctx: ReportContext, q: SupportersQuery): repo.SupporterFilters {
  if (q.currency && !ctx.publication.currencies[q.currency]) {
    throw new HttpError(400, 'invalid_request', `currency: ${ctx.publication.name} does not accept ${q.currency}.`, 'currency');
  }
  return {
    status: q.status,
    oneOffOnly: q.one_off_only,
    lapsed: q.lapsed,
    minLifetime:
      q.min_lifetime !== undefined ? { amount: q.min_lifetime, currency: q.currency ?? ctx.publication.default_currency } : undefined,
    since: q.since,
    search: q.q,
  };
}

/** An instant as the JSON carries it (what res.json would make of a Date). */
const iso = (at: Date | null): string | null => (at === null ? null : at.toISOString());

/** GET /api/reports/supporters */
export async function supporters(ctx: ReportContext, q: SupportersQuery): Promise<SupportersPage> {
  const scope = { publicationId: ctx.publication.id, timeZone: ctx.publication.time_zone };
  const rows = await repo.listSupporters(ctx.db, scope, supporterFilters(ctx, q), {
    afterId: decodeCursor(q.cursor),
    limit: q.limit + 1,
    order: q.order,
  });
  const page = rows.slice(0, q.limit);
  const ids = page.map((r) => r.id);
  const [totals, memberships] = await Promise.all([repo.supporterTotals(ctx.db, ids), repo.currentMemberships(ctx.db, ids)]);
  const membershipOf = new Map(memberships.map((m) => [m.supporter_id, m]));
  return {
    publication: ctx.publication.slug,
    supporters: page.map((s) => {
      const m = membershipOf.get(s.id);
      return {
        id: s.id,
        email: s.email,
        name: s.name,
        first_supported_at: iso(s.first_paid_at),
        last_supported_at: iso(s.last_paid_at),
        lifetime: Object.fromEntries(
          totals
            .filter((t) => t.supporter_id === s.id)
            .map((t) => [t.currency, { payments: t.payments, gross: t.gross, refunded: t.refunded, net: t.gross - t.refunded }]),
        ),
        membership: m
          ? {
              subscription_id: m.subscription_id,
              status: m.status,
              amount: m.amount,
              currency: m.currency,
              interval: m.interval,
              current_period_end: iso(m.current_period_end),
              cancel_at_period_end: m.cancel_at_period_end,
              started_at: iso(m.started_at),
            }
          : null,
      };
    }),
    next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

export interface DonationsQuery {
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
  status?: string | undefined;
  kind?: string | undefined;
  currency?: string | undefined;
  article_url?: string | undefined;
  variant?: string | undefined;
}

export const donationFilters = (q: DonationsQuery): repo.DonationFilters => ({
  status: q.status,
  kind: q.kind,
  currency: q.currency,
  articleUrl: q.article_url,
  variant: q.variant,
});

export function donationJson(d: repo.DonationRow) {
  return {
    id: d.id,
    source_id: d.source_id,
    kind: d.kind,
    amount: d.amount,
    currency: d.currency,
    status: d.status,
    refunded_amount: d.refunded_amount,
    fee_cover_amount: d.fee_cover_amount,
    dispute_status: d.dispute_status,
    created_at: d.created_at,
    paid_at: d.paid_at,
    article_url: d.article_url,
    variant: d.variant,
    billing_reason: d.billing_reason,
    subscription_id: d.subscription_id,
    supporter: d.supporter_id === null ? null : { id: d.supporter_id, email: d.email, name: d.name },
  };
}

/** GET /api/reports/donations: every payment, newest first. */
export async function donations(ctx: ReportContext, q: DonationsQuery) {
  const range = rangeFor(ctx, q);
  const scope = { publicationId: ctx.publication.id, timeZone: ctx.publication.time_zone };
  const rows = await repo.listDonations(ctx.db, scope, range, donationFilters(q), { beforeId: decodeCursor(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  return {
    publication: ctx.publication.slug,
    from: range.from,
    to: range.to,
    donations: page.map(donationJson),
    next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** GET /api/reports/supporters.csv: the supporters matching the query, read in batches. */
export function supporterExportRows(source: BatchSource, ctx: ReportContext, q: SupportersQuery) {
  return exportSupporters(source, { publicationId: ctx.publication.id, timeZone: ctx.publication.time_zone }, supporterFilters(ctx, q));
}

/** GET /api/reports/donations.csv: the payments of the query's range, read in batches, and that range. */
export function donationExportRows(source: BatchSource, ctx: ReportContext, q: DonationsQuery) {
  const range = rangeFor(ctx, q);
  return {
    range,
    rows: exportDonations(source, { publicationId: ctx.publication.id, timeZone: ctx.publication.time_zone }, range, donationFilters(q)),
  };
}
