import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { cursorBatches } from '../../src/db/read-in-batches.js';
import { EXPORT_BATCH_ROWS, supporterExportQuery, type SupporterExportRow } from '../../src/reports/csv-export.repository.js';
import * as repo from '../../src/reports/report.repository.js';
import type { DateRange } from '../../src/reports/report-query.schema.js';

/*
 * The floor of each report endpoint: the very SQL statements and bind parameters src/reports/report.repository.ts
 * and csv-export.repository.ts issue for it, run on a bare `pg` pool, in the same order and with the same
 * parallelism as the service (summary: its five queries at once; supporters page: the list, then totals and
 * memberships at once; articles: the two breakdowns at once, each funnel then revenue; CSV: the export query read as
 * the service reads it, through src/db/read-in-batches.ts's cursor: EXPORT_BATCH_ROWS a time, read-ahead, JIT off).
 *
 * The statements are not retyped: they are captured by calling the repository functions against a Kysely instance
 * whose driver only records each compiled query (text + parameters), so the floor cannot drift from the repository.
 * What the floor leaves out is what favour adds around the database: HTTP, Express, API-key authentication and the
 * publication lookup, Kysely, row shaping and JSON or CSV encoding.
 */

export interface CapturedQuery {
  sql: string;
  parameters: unknown[];
}

class CaptureConnection implements DatabaseConnection {
  constructor(private readonly sink: CapturedQuery[]) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    this.sink.push({ sql: q.sql, parameters: [...q.parameters] });
    return { rows: [] };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    this.sink.push({ sql: q.sql, parameters: [...q.parameters] });
  }
}

class CaptureDriver implements Driver {
  constructor(private readonly sink: CapturedQuery[]) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new CaptureConnection(this.sink);
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/** The queries a repository call issues (it sees no rows back). */
export async function capture(fn: (db: Kysely<Database>) => Promise<unknown> | AsyncIterable<unknown>): Promise<CapturedQuery[]> {
  const sink: CapturedQuery[] = [];
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new CaptureDriver(sink),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const result = fn(db);
  if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const _ of result as AsyncIterable<unknown>) void _;
  } else {
    await result;
  }
  await db.destroy();
  return sink;
}

const one = async (fn: Parameters<typeof capture>[0]): Promise<CapturedQuery> => {
  const list = await capture(fn);
  if (list.length !== 1) throw new Error(`expected one query, captured ${list.length}`);
  return list[0]!;
};

/** A pg pool that reads values as the service's pool does (bigint as number, date as 'YYYY-MM-DD'). */
export function floorPool(url: string, max: number): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === 20) return (value: string) => Number(value);
        if (oid === 1082) return (value: string) => value;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
}

const run = async (pool: pg.Pool, q: CapturedQuery) => (await pool.query(q.sql, q.parameters)).rows;

export interface ReportQueries {
  summary: CapturedQuery[];
  timeseriesRevenue: CapturedQuery;
  supportersList: CapturedQuery;
  supportersDeepList: CapturedQuery;
  supporterTotals: (ids: number[]) => CapturedQuery;
  currentMemberships: (ids: number[]) => CapturedQuery;
  articles: { article_url: CapturedQuery[]; variant: CapturedQuery[] };
  donations: CapturedQuery;
  supportersCsv: CapturedQuery;
}

/** Captures, from report.repository.ts, every statement the measured endpoints run, with this run's parameters. */
export async function captureReportQueries(o: {
  publicationId: number;
  timeZone: string;
  range: DateRange;
  pageLimit: number;
  deepAfterId: number;
}): Promise<ReportQueries> {
  const scope: repo.ReportScope = { publicationId: o.publicationId, timeZone: o.timeZone };
  // The service asks for limit + 1 rows to know whether there is a next page.
  const page = { limit: o.pageLimit + 1, order: 'newest' as const };
  const summary = [
    await one((db) => repo.paymentTotals(db, scope, o.range)),
    await one((db) => repo.countNewSupporters(db, scope, o.range)),
    await one((db) => repo.membersAtEndOf(db, scope, o.range.to)),
    await one((db) => repo.countChurnedMembers(db, scope, o.range)),
    await one((db) => repo.funnelTotals(db, scope, o.range)),
  ];
  const byIds = (fn: (db: Kysely<Database>, ids: number[]) => Promise<unknown>) => {
    // Captured once with placeholder ids; the statement text depends only on how many ids there are.
    const cache = new Map<number, CapturedQuery>();
    const prepare = async (n: number) => {
      const ids = Array.from({ length: n }, (_, i) => -(i + 1));
      const q = await one((db) => fn(db, ids));
      if (JSON.stringify(q.parameters) !== JSON.stringify(ids)) throw new Error('the captured statement has parameters besides the ids');
      cache.set(n, q);
    };
    return {
      prepare,
      get: (ids: number[]): CapturedQuery => {
        const q = cache.get(ids.length);
        if (!q) throw new Error(`no captured statement for ${ids.length} ids`);
        return { sql: q.sql, parameters: ids };
      },
    };
  };
  const totals = byIds((db, ids) => repo.supporterTotals(db, ids));
  const memberships = byIds((db, ids) => repo.currentMemberships(db, ids));
  await totals.prepare(o.pageLimit);
  await memberships.prepare(o.pageLimit);
  return {
    summary,
    timeseriesRevenue: await one((db) => repo.dailyRevenue(db, scope, o.range)),
    supportersList: await one((db) => repo.listSupporters(db, scope, {}, page)),
    supportersDeepList: await one((db) => repo.listSupporters(db, scope, {}, { ...page, afterId: o.deepAfterId })),
    supporterTotals: totals.get,
    currentMemberships: memberships.get,
    articles: {
      article_url: await capture((db) => repo.articleBreakdown(db, scope, o.range, 'article_url')),
      variant: await capture((db) => repo.articleBreakdown(db, scope, o.range, 'variant')),
    },
    donations: await one((db) => repo.listDonations(db, scope, o.range, {}, { limit: o.pageLimit + 1 })),
    supportersCsv: await one((db) => supporterExportQuery(scope, {}).execute(db)),
  };
}

// --- the floors, shaped like the service's calls ----------------------------------------------------------------

export const floorSummary = (pool: pg.Pool, q: ReportQueries) => Promise.all(q.summary.map((s) => run(pool, s)));

export const floorTimeseries = (pool: pg.Pool, q: ReportQueries) => run(pool, q.timeseriesRevenue);

export async function floorSupportersPage(pool: pg.Pool, q: ReportQueries, deep: boolean, limit: number) {
  const rows = await run(pool, deep ? q.supportersDeepList : q.supportersList);
  const ids = rows.slice(0, limit).map((r) => Number(r.id));
  const [totals, memberships] = await Promise.all([run(pool, q.supporterTotals(ids)), run(pool, q.currentMemberships(ids))]);
  return { rows, totals, memberships };
}

export async function floorArticles(pool: pg.Pool, q: ReportQueries) {
  const breakdown = async (pair: CapturedQuery[]) => {
    const funnel = await run(pool, pair[0]!);
    const revenue = await run(pool, pair[1]!);
    return { funnel, revenue };
  };
  const [byArticle, byVariant] = await Promise.all([breakdown(q.articles.article_url), breakdown(q.articles.variant)]);
  return { byArticle, byVariant };
}

export const floorDonations = (pool: pg.Pool, q: ReportQueries) => run(pool, q.donations);

/** The CSV's export query read through the service's cursor reader, as many rows a time; counts the CSV lines it makes. */
export async function floorSupportersCsv(pool: pg.Pool, q: ReportQueries): Promise<{ rows: number; lines: number }> {
  let rows = 0;
  let lines = 0;
  for await (const batch of cursorBatches<SupporterExportRow>(pool, q.supportersCsv, EXPORT_BATCH_ROWS)) {
    rows += batch.length;
    // One CSV line per supporter and currency (supporterCsvLines), at least one per supporter.
    for (const r of batch) lines += r.totals ? r.totals.split(';').length : 1;
  }
  return { rows, lines };
}

/** EXPLAIN (ANALYZE, BUFFERS) of a captured statement, as text. */
export async function explain(pool: pg.Pool, q: CapturedQuery): Promise<string> {
  const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.parameters);
  return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
}
