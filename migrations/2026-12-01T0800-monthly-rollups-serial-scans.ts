import { type Kysely, sql } from 'kysely';

// The articles report adds up a year of article_monthly_totals (~75,000 rows for 5,000 articles): a
// parallel plan split that over two workers and merged it again, 111 ms against 85 ms for one process
// on the 1M-payment bench, and took cores the other report statements running at the same time needed.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE article_monthly_totals SET (parallel_workers = 0)`.execute(db);
  await sql`ALTER TABLE article_monthly_funnel SET (parallel_workers = 0)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE article_monthly_totals RESET (parallel_workers)`.execute(db);
  await sql`ALTER TABLE article_monthly_funnel RESET (parallel_workers)`.execute(db);
}
