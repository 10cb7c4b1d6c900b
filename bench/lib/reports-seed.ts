import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { openDatabase } from '../../src/db/create-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { defaultCurrencySettings } from '../../src/publications/currency-defaults.js';
import { createPublication } from '../../src/publications/publication.service.js';
import { rollupDifferences } from '../../src/rollups/rollup.repository.js';
import { progress } from './report.js';
import { ADMIN_DATABASE_URL, assertLoopback } from './settings.js';

/*
 * The reports bench database: favour_bench_reports_<random>, migrated with src/db/migrate.ts, one publication
 * ('bench', eur + usd + jpy, Europe/Rome) made by src/publications, then years of history written with set-based
 * SQL (generate_series) instead of the webhook path, which would take hours for a million payments.
 *
 * The statement triggers that record rollup entries are disabled for the bulk load, inside the one transaction that
 * writes everything (nobody ever sees the tables without them). The rollups are then filled by
 * favour_recompute_rollups(), the same recompute `favour rollups rebuild` and the migration backfill run, and
 * verifySeed() checks them against the payments and against that recompute.
 */

export const TIME_ZONE = 'Europe/Rome';
export const PUBLICATION_SLUG = 'bench';
export const SITE = 'https://news.example';

export interface SeedScale {
  payments: number;
  supporters: number;
  articles: number;
  memberships: number;
  checkoutSessions: number;
}

export const FULL_SCALE: SeedScale = {
  payments: 1_000_000,
  supporters: 200_000,
  articles: 5_000,
  memberships: 40_000,
  checkoutSessions: 1_200_000,
};

export function scaled(factor: number): SeedScale {
  const s = (n: number, min: number) => Math.max(min, Math.round(n * factor));
  return {
    payments: s(FULL_SCALE.payments, 5_000),
    supporters: s(FULL_SCALE.supporters, 1_000),
    articles: s(FULL_SCALE.articles, 50),
    memberships: s(FULL_SCALE.memberships, 200),
    checkoutSessions: s(FULL_SCALE.checkoutSessions, 6_000),
  };
}

export interface ReportsDatabase {
  name: string;
  url: string;
  publicationId: number;
  /** A fresh report API key for this run. */
  apiKey: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlOf(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * A fresh favour_bench_reports_<random> database, migrated, with the 'bench' publication; or, with `existing`,
 * a database kept by an earlier run (--keep), which is then used as it is (and never dropped).
 */
export async function openReportsDatabase(existing?: string): Promise<ReportsDatabase & { fresh: boolean }> {
  assertLoopback(ADMIN_DATABASE_URL);
  const fresh = existing === undefined;
  const name = existing ?? `favour_bench_reports_${randomBytes(5).toString('hex')}`;
  if (!/^favour_bench_reports_[a-z0-9]+$/.test(name)) throw new Error(`--db must name a favour_bench_reports_… database (got "${name}")`);
  if (fresh) await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = urlOf(name);
  const drop = async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  const handle = await openDatabase({ databaseUrl: url, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    let publication = await handle.db.selectFrom('publications').selectAll().where('slug', '=', PUBLICATION_SLUG).executeTakeFirst();
    if (!publication) {
      if (!fresh) throw new Error(`${name} has no '${PUBLICATION_SLUG}' publication: not a reports bench database`);
      publication = await createPublication(handle.db, {
        slug: PUBLICATION_SLUG,
        name: 'The Bench Gazette',
        origins: [SITE],
        currencies: { eur: defaultCurrencySettings('eur'), usd: defaultCurrencySettings('usd'), jpy: defaultCurrencySettings('jpy') },
        default_currency: 'eur',
        intervals: ['once', 'month', 'year'],
        default_locale: 'it',
        time_zone: TIME_ZONE,
      });
    }
    const key = await createApiKey(handle.db, publication.id, `reports bench ${new Date().toISOString()}`);
    return { name, url, publicationId: publication.id, apiKey: key.key, fresh, drop: fresh ? drop : async () => {} };
  } catch (err) {
    if (fresh) await drop().catch(() => undefined);
    throw err;
  } finally {
    await handle.close();
  }
}

export interface SeedResult {
  seconds: number;
  steps: { step: string; seconds: number }[];
  counts: Record<string, number>;
  mix: Record<string, string>;
}

/** Writes the history with set-based SQL (one transaction), recomputes the rollups, then VACUUM ANALYZE. */
export async function seedReportsDatabase(url: string, publicationId: number, scale: SeedScale): Promise<SeedResult> {
  const { payments: P, supporters: S, articles: A, memberships: M, checkoutSessions: C } = scale;
  for (const [k, v] of Object.entries(scale))
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`seed scale ${k} must be a positive integer`);
  const PUB = publicationId;
  const TZ = `'${TIME_ZONE}'`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const steps: { step: string; seconds: number }[] = [];
  const started = performance.now();
  const run = async (step: string, text: string): Promise<pg.QueryResult> => {
    const t0 = performance.now();
    const result = (await client.query(text)) as pg.QueryResult | pg.QueryResult[];
    const seconds = (performance.now() - t0) / 1000;
    steps.push({ step, seconds });
    const written = (Array.isArray(result) ? result : [result])
      .filter((r) => r.command === 'INSERT')
      .reduce((n, r) => n + (r.rowCount ?? 0), 0);
    progress(`reports seed: ${step} (${seconds.toFixed(1)} s${written ? `, ${written.toLocaleString('en-US')} rows` : ''})`);
    return Array.isArray(result) ? result[result.length - 1]! : result;
  };
  // A skewed pick of an article: the most read stories get most of the money (article 1 about 3 %, the top 1 % about 16 %).
  const pickArticle = `least(${A}, 1 + floor(${A} * power(random(), 2.5))::int)`;
  const variantOf = (r: string) => `CASE WHEN ${r} < 0.03 THEN NULL WHEN ${r} < 0.515 THEN 'plea-a' ELSE 'plea-b' END`;
  const currencyOf = (r: string) => `CASE WHEN ${r} < 0.70 THEN 'eur' WHEN ${r} < 0.92 THEN 'usd' ELSE 'jpy' END`;
  const giftAmount = (cur: string, r: string, r2: string) => `CASE WHEN ${cur} = 'jpy'
      THEN CASE WHEN ${r} < 0.3 THEN 500 WHEN ${r} < 0.6 THEN 1000 WHEN ${r} < 0.8 THEN 3000 WHEN ${r} < 0.9 THEN 5000 ELSE 100 * (5 + floor(${r2} * 300)) END
      ELSE CASE WHEN ${r} < 0.3 THEN 500 WHEN ${r} < 0.6 THEN 1000 WHEN ${r} < 0.8 THEN 2500 WHEN ${r} < 0.9 THEN 5000 ELSE 100 * (3 + floor(${r2} * 200)) END END`;
  try {
    await client.query(
      `SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'; SET max_parallel_workers_per_gather = 0; SET TIME ZONE ${TZ}`,
    );
    await client.query('SELECT setseed(0.2026)');
    await client.query('BEGIN');
    await run(
      'rollup entry triggers disabled (inside the seed transaction)',
      'ALTER TABLE payments DISABLE TRIGGER USER; ALTER TABLE checkout_sessions DISABLE TRIGGER USER',
    );

    // Articles: published over the two years (up to four weeks ago), read and paid for during 2-4 weeks.
    await run(
      `${A} articles`,
      `CREATE TEMP TABLE seed_articles ON COMMIT DROP AS
       SELECT a AS n, pub_at, life_days, '${SITE}/' || to_char(pub_at AT TIME ZONE ${TZ}, 'YYYY/MM/DD') || '/story-' || a AS url
       FROM (SELECT a, date_trunc('day', now() - interval '730 days') + ((a::bigint * 7919) % 702) * interval '1 day' + ((a * 37) % 24) * interval '1 hour' AS pub_at,
               14 + (a % 3) * 7 AS life_days
             FROM generate_series(1, ${A}) a) x;
       CREATE UNIQUE INDEX ON seed_articles (n); ANALYZE seed_articles`,
    );

    // Memberships: one per fifth supporter, started from an article, more of them recently; 35 % canceled after 1-12
    // months, 3 % past due (last renewal failed),
    // 1 % incomplete_expired (first payment failed), the rest active (5 % of those cancel at the period end).
    await run(
      `${M} memberships (plan)`,
      `CREATE TEMP TABLE seed_members ON COMMIT DROP AS
       SELECT y.*,
         CASE WHEN ival = 'month'
           THEN (extract(year FROM age(period_to, started_at)) * 12 + extract(month FROM age(period_to, started_at)))::int
           ELSE extract(year FROM age(period_to, started_at))::int END AS periods
       FROM (
         SELECT x.*,
           CASE status WHEN 'incomplete_expired' THEN started_at
             ELSE least(coalesce(ended_at, now()), now()) END AS period_to,
           CASE status WHEN 'canceled' THEN greatest(started_at, ended_at - r_cancel * interval '25 days')
             WHEN 'incomplete_expired' THEN ended_at
             WHEN 'active' THEN CASE WHEN k % 20 = 7 THEN now() - r_cancel * interval '20 days' END END AS canceled_at
         FROM (
           SELECT w.*,
             CASE status
               WHEN 'incomplete_expired' THEN started_at + interval '23 hours'
               WHEN 'canceled' THEN greatest(started_at + interval '1 day',
                 least(started_at + (1 + floor(r_end * 12)::int) * interval '1 month' + r_end * interval '20 days', now() - interval '1 day'))
             END AS ended_at
           FROM (
             SELECT g.k, ((g.k - 1) * ${S}::bigint / ${M})::int + 1 AS snum, art.url AS article_url,
               CASE WHEN g.r_var < 0.5 THEN 'plea-a' ELSE 'plea-b' END AS variant,
               ${currencyOf('g.r_cur')} AS currency,
               CASE WHEN g.r_int < 0.85 THEN 'month' ELSE 'year' END AS ival,
               CASE WHEN g.r_int < 0.85 THEN interval '1 month' ELSE interval '1 year' END AS period,
               CASE WHEN ${currencyOf('g.r_cur')} = 'jpy'
                 THEN (CASE WHEN g.r_int < 0.85 THEN ARRAY[500, 800, 1500] ELSE ARRAY[5000, 8000, 15000] END)[1 + floor(g.r_amt * 3)::int]
                 ELSE (CASE WHEN g.r_int < 0.85 THEN ARRAY[300, 500, 1000] ELSE ARRAY[3000, 5000, 10000] END)[1 + floor(g.r_amt * 3)::int] END AS amount,
               art.pub_at + power(g.r_time, 2) * art.life_days * interval '1 day' AS started_at,
               CASE WHEN g.k % 100 = 0 THEN 'incomplete_expired' WHEN g.k % 100 BETWEEN 1 AND 3 THEN 'past_due'
                 WHEN g.k % 100 BETWEEN 4 AND 38 THEN 'canceled' ELSE 'active' END AS status,
               g.r_end, g.r_cancel
             FROM (SELECT k, ${pickArticle} AS a1, ${pickArticle} AS a2, random() AS r_time, random() AS r_cur, random() AS r_int, random() AS r_amt,
                     random() AS r_var, random() AS r_end, random() AS r_cancel
                   FROM generate_series(1, ${M}) k) g
             -- the later of two articles: memberships grow over the two years (more recent starts than old ones)
             CROSS JOIN LATERAL (SELECT * FROM seed_articles WHERE n IN (g.a1, g.a2) ORDER BY pub_at DESC LIMIT 1) art
           ) w
         ) x
       ) y`,
    );

    // Membership payments: the first invoice and every monthly (or yearly) renewal up to the end or today.
    await run(
      'membership payments (plan)',
      `CREATE TEMP TABLE seed_pay (source_id text, kind text, snum int, k int, amount bigint, currency text, base_status text,
         article_url text, variant text, billing_reason text, created_at timestamptz, paid_at timestamptz) ON COMMIT DROP;
       INSERT INTO seed_pay
       SELECT 'in_seed_' || m.k || '_' || g.n, 'membership', m.snum, m.k, m.amount, m.currency,
         CASE WHEN m.status = 'incomplete_expired' OR (m.status = 'past_due' AND g.n = m.periods AND g.n > 0) THEN 'failed' ELSE 'succeeded' END,
         m.article_url, m.variant, CASE WHEN g.n = 0 THEN 'subscription_create' ELSE 'subscription_cycle' END,
         m.started_at + g.n * m.period - interval '1 hour',
         CASE WHEN m.status = 'incomplete_expired' OR (m.status = 'past_due' AND g.n = m.periods AND g.n > 0) THEN NULL ELSE m.started_at + g.n * m.period END
       FROM seed_members m, LATERAL generate_series(0, m.periods) g(n)
       WHERE m.started_at + g.n * m.period <= now()`,
    );
    const membershipPayments = Number((await client.query('SELECT count(*)::int AS n FROM seed_pay')).rows[0].n);
    const oneOff = P - membershipPayments;
    if (oneOff < S) throw new Error(`scale: ${membershipPayments} membership payments leave ${oneOff} one-off gifts for ${S} supporters`);

    // One-off gifts: every supporter gives at least once; repeat gifts lean towards a loyal minority. Paid while the
    // article is fresh (front-loaded), 0.5 % pending (SEPA not yet confirmed) and 0.5 % failed.
    await run(
      `${oneOff} one-off gifts (plan)`,
      `INSERT INTO seed_pay
       SELECT 'cs_seed_' || g.i, 'one_off', CASE WHEN g.i <= ${S} THEN g.i ELSE 1 + floor(${S} * power(g.r_sup, 1.3))::int END, NULL,
         ${giftAmount(currencyOf('g.r_cur'), 'g.r_amt', 'g.r_amt2')}, ${currencyOf('g.r_cur')},
         CASE WHEN g.r_st < 0.005 THEN 'pending' WHEN g.r_st < 0.01 THEN 'failed' ELSE 'succeeded' END,
         art.url, ${variantOf('g.r_var')}, NULL,
         art.pub_at + power(g.r_time, 2) * art.life_days * interval '1 day' - (60 + g.r_lag * 600) * interval '1 second',
         CASE WHEN g.r_st < 0.01 THEN NULL ELSE art.pub_at + power(g.r_time, 2) * art.life_days * interval '1 day' END
       FROM (SELECT i, ${pickArticle} AS a, random() AS r_sup, random() AS r_cur, random() AS r_amt, random() AS r_amt2,
               random() AS r_st, random() AS r_var, random() AS r_time, random() AS r_lag
             FROM generate_series(1, ${oneOff}) i) g
       JOIN seed_articles art ON art.n = g.a`,
    );

    // Supporters get ids in the order they first supported, as they would have been created.
    await run(
      `${S} supporters`,
      `CREATE TEMP TABLE seed_sup ON COMMIT DROP AS
       SELECT snum, row_number() OVER (ORDER BY first_at, snum) AS id, first_at, first_paid, last_paid
       FROM (SELECT snum, min(coalesce(paid_at, created_at)) AS first_at,
               min(paid_at) FILTER (WHERE base_status = 'succeeded') AS first_paid,
               max(paid_at) FILTER (WHERE base_status = 'succeeded') AS last_paid
             FROM seed_pay GROUP BY snum) x;
       CREATE UNIQUE INDEX ON seed_sup (snum);
       INSERT INTO supporters (id, publication_id, email, name, created_at, updated_at, first_paid_at, last_paid_at)
       SELECT id, ${PUB}, 'reader' || snum || '@example.org',
         CASE WHEN snum % 10 = 0 THEN NULL ELSE (ARRAY['', 'Giulia Rossi', 'Đorđe Petrović', 'Ђорђе Петровић', 'O''Brien, Siobhán',
           'Marco "Il Lupo" Bianchi', 'Niccolò Ferri', '=SUM(A1) Anna', 'Anna Müller', '李雷'])[1 + snum % 10] || ' ' || snum END,
         first_at, first_at, first_paid, last_paid
       FROM seed_sup ORDER BY id;
       SELECT setval(pg_get_serial_sequence('supporters', 'id'), (SELECT max(id) FROM supporters))`,
    );

    await run(
      'stripe_customers',
      `INSERT INTO stripe_customers (id, publication_id, supporter_id, email, name, snapshot_at, name_at)
       SELECT 'cus_s' || s.snum, ${PUB}, s.id, sp.email, sp.name, s.first_at, CASE WHEN sp.name IS NOT NULL THEN s.first_at END
       FROM seed_sup s JOIN supporters sp ON sp.id = s.id
       UNION ALL
       SELECT 'cus_m' || m.k, ${PUB}, s.id, sp.email, sp.name, m.started_at, CASE WHEN sp.name IS NOT NULL THEN m.started_at END
       FROM seed_members m JOIN seed_sup s USING (snum) JOIN supporters sp ON sp.id = s.id`,
    );

    // Payments, ids in time order. 2 % fully and 1 % partly refunded, 1 % lost disputes, 0.3 % won, 0.1 % open.
    await run(
      `${P} payments`,
      `INSERT INTO payments (id, source_id, publication_id, supporter_id, customer_id, kind, amount, currency, base_status, status,
         refunded_amount, dispute_status, checkout_session_id, payment_intent_id, invoice_id, subscription_id, article_url, variant,
         billing_reason, created_at, paid_at, updated_at)
       SELECT x.id, x.source_id, ${PUB}, x.sup_id, CASE WHEN x.kind = 'one_off' THEN 'cus_s' || x.snum ELSE 'cus_m' || x.k END, x.kind, x.amount, x.currency, x.base_status,
         CASE WHEN x.base_status <> 'succeeded' THEN x.base_status WHEN h < 20 THEN 'refunded' WHEN h < 30 THEN 'partially_refunded'
           WHEN h < 40 OR h = 43 THEN 'disputed' ELSE 'succeeded' END,
         CASE WHEN x.base_status <> 'succeeded' THEN 0 WHEN h < 20 THEN x.amount WHEN h < 30 THEN x.amount / 2 ELSE 0 END,
         CASE WHEN x.base_status <> 'succeeded' THEN NULL WHEN h BETWEEN 30 AND 39 THEN 'lost' WHEN h BETWEEN 40 AND 42 THEN 'won' WHEN h = 43 THEN 'needs_response' END,
         CASE WHEN x.kind = 'one_off' THEN x.source_id END, 'pi_' || x.source_id,
         CASE WHEN x.kind = 'membership' THEN x.source_id END, CASE WHEN x.kind = 'membership' THEN 'sub_seed_' || x.k END,
         x.article_url, x.variant, x.billing_reason, x.created_at, x.paid_at, coalesce(x.paid_at, x.created_at)
       FROM (SELECT row_number() OVER (ORDER BY coalesce(p.paid_at, p.created_at), p.source_id) AS id, p.*, s.id AS sup_id
             FROM seed_pay p JOIN seed_sup s USING (snum)) x
       CROSS JOIN LATERAL (SELECT (x.id * 761) % 1000 AS h) hh
       ORDER BY x.id;
       SELECT setval(pg_get_serial_sequence('payments', 'id'), (SELECT max(id) FROM payments))`,
    );

    // The Stripe mirror rows the webhooks would have left for those refunds and disputes (refreshPaymentStatus agrees).
    await run(
      'stripe_charges, stripe_disputes',
      `INSERT INTO stripe_charges (id, payment_intent_id, amount, amount_refunded, currency, created)
       SELECT 'ch_' || source_id, payment_intent_id, amount, refunded_amount, currency, paid_at FROM payments WHERE refunded_amount > 0;
       INSERT INTO stripe_disputes (id, charge_id, payment_intent_id, amount, currency, status, snapshot_at, snapshot_rank)
       SELECT 'dp_' || source_id, 'ch_' || source_id, payment_intent_id, amount - refunded_amount, currency, dispute_status,
         paid_at + interval '10 days', CASE WHEN dispute_status IN ('won', 'lost') THEN 1 ELSE 0 END
       FROM payments WHERE dispute_status IS NOT NULL`,
    );

    await run(
      `${M} memberships`,
      `INSERT INTO memberships (subscription_id, publication_id, supporter_id, customer_id, status, amount, currency, interval, interval_count,
         current_period_end, cancel_at_period_end, canceled_at, ended_at, started_at, article_url, variant, snapshot_at, snapshot_rank,
         snapshot_event_id, updated_at)
       SELECT 'sub_seed_' || m.k, ${PUB}, s.id, 'cus_m' || m.k, m.status, m.amount, m.currency, m.ival, 1,
         m.started_at + (m.periods + 1) * m.period, m.status = 'active' AND m.k % 20 = 7, m.canceled_at, m.ended_at, m.started_at,
         m.article_url, m.variant, coalesce(m.ended_at, m.started_at + m.periods * m.period),
         CASE m.status WHEN 'active' THEN 2 WHEN 'past_due' THEN 3 WHEN 'incomplete_expired' THEN 5 WHEN 'canceled' THEN 6 ELSE 0 END,
         'evt_seed_sub_' || m.k, coalesce(m.ended_at, m.started_at + m.periods * m.period)
       FROM seed_members m JOIN seed_sup s USING (snum) ORDER BY m.started_at`,
    );

    // Checkout sessions: one per gift, one per membership, and the abandoned ones (expired after 24 h; open if younger).
    const extra = C - oneOff - M;
    if (extra < 0) throw new Error(`scale: ${C} checkout sessions are fewer than ${oneOff} gifts + ${M} memberships`);
    await run(
      `${C} checkout sessions (${extra} abandoned)`,
      `INSERT INTO checkout_sessions (id, publication_id, article_url, variant, amount, currency, interval, locale, status, payment_status,
         customer_id, payment_intent_id, subscription_id, created_at, completed_at, expired_at)
       SELECT * FROM (
         SELECT source_id AS id, ${PUB} AS publication_id, coalesce(article_url, '') AS article_url, variant, amount, currency, 'once' AS ival,
           CASE WHEN id % 5 = 0 THEN 'it' END AS locale, 'complete' AS status,
           CASE WHEN base_status = 'succeeded' THEN 'paid' ELSE 'unpaid' END AS payment_status, customer_id, payment_intent_id, NULL::text AS subscription_id,
           created_at, coalesce(paid_at, created_at + interval '2 minutes') AS completed_at, NULL::timestamptz AS expired_at
         FROM payments WHERE kind = 'one_off'
         UNION ALL
         SELECT 'cs_seed_m' || k, ${PUB}, article_url, variant, amount, currency, ival, NULL,
           CASE WHEN status = 'incomplete_expired' THEN 'expired' ELSE 'complete' END,
           CASE WHEN status = 'incomplete_expired' THEN 'unpaid' ELSE 'paid' END, 'cus_m' || k, NULL, 'sub_seed_' || k,
           started_at - interval '3 minutes', CASE WHEN status <> 'incomplete_expired' THEN started_at - interval '1 minute' END,
           CASE WHEN status = 'incomplete_expired' THEN started_at + interval '21 hours' END
         FROM seed_members
         UNION ALL
         SELECT 'cs_seed_x' || g.i, ${PUB}, art.url, ${variantOf('g.r_var')}, ${giftAmount(currencyOf('g.r_cur'), 'g.r_amt', 'g.r_amt2')}, ${currencyOf('g.r_cur')},
           CASE WHEN g.r_int < 0.85 THEN 'once' WHEN g.r_int < 0.97 THEN 'month' ELSE 'year' END, NULL,
           CASE WHEN g.t + interval '24 hours' < now() THEN 'expired' ELSE 'open' END, 'unpaid', NULL, NULL, NULL, g.t, NULL,
           CASE WHEN g.t + interval '24 hours' < now() THEN g.t + interval '24 hours' END
         FROM (SELECT i, a, r_var, r_cur, r_amt, r_amt2, r_int, pub_at + power(r_time, 2) * life_days * interval '1 day' AS t
               FROM (SELECT i, ${pickArticle} AS a, random() AS r_var, random() AS r_cur, random() AS r_amt, random() AS r_amt2,
                       random() AS r_int, random() AS r_time
                     FROM generate_series(1, ${extra}) i) r
               JOIN seed_articles ON seed_articles.n = r.a) g
         JOIN seed_articles art ON art.n = g.a
       ) s ORDER BY created_at`,
    );

    // Widget beacons: two copy variants per article on each day of its life, impressions decaying from publication,
    // scaled to the article's share of gifts (about 0.3 % of impressions end in a gift), 2-4 % clicked.
    const decay = 6;
    await run(
      'widget_daily_counters (impressions, clicks)',
      `INSERT INTO widget_daily_counters (publication_id, day, article_url, variant, impressions, clicks)
       SELECT ${PUB}, (art.pub_at AT TIME ZONE ${TZ})::date + d, art.url, v.variant,
         round(x.imp)::bigint, round(x.imp * (0.02 + 0.02 * random()))::bigint
       FROM seed_articles art
       CROSS JOIN LATERAL generate_series(0, art.life_days - 1) d
       CROSS JOIN (VALUES ('plea-a'), ('plea-b')) v(variant)
       CROSS JOIN LATERAL (SELECT (${oneOff}::float8 * 0.4 / ${A}) * power(art.n::float8 / ${A}, -0.6) / 0.003 / 2
           * exp(-d::float8 / ${decay}) * (1 - exp(-1::float8 / ${decay})) / (1 - exp(-art.life_days::float8 / ${decay}))
           * (0.8 + 0.4 * random()) AS imp) x
       WHERE round(x.imp) > 0
       ORDER BY 2, 3, 4`,
    );

    await run('rollups: favour_recompute_rollups()', `SELECT favour_recompute_rollups(${PUB})`);
    await run(
      'rollup entry triggers enabled again',
      'ALTER TABLE payments ENABLE TRIGGER USER; ALTER TABLE checkout_sessions ENABLE TRIGGER USER',
    );
    await run('commit', 'COMMIT');
    await run('VACUUM ANALYZE', 'VACUUM ANALYZE');

    const counts: Record<string, number> = {};
    for (const table of [
      'supporters',
      'stripe_customers',
      'payments',
      'memberships',
      'checkout_sessions',
      'stripe_charges',
      'stripe_disputes',
      'widget_daily_counters',
      'payment_daily_totals',
      'article_daily_totals',
      'supporter_totals',
      'widget_daily_totals',
      'article_monthly_totals',
      'variant_daily_totals',
      'article_monthly_funnel',
      'variant_daily_funnel',
    ]) {
      counts[table] = Number((await client.query(`SELECT count(*)::bigint AS n FROM ${table}`)).rows[0].n);
    }
    return { seconds: (performance.now() - started) / 1000, steps, counts, mix: await describeMix(client) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

async function describeMix(client: pg.Client): Promise<Record<string, string>> {
  const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
  const p = (
    await client.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE kind = 'one_off')::int AS one_off,
      count(*) FILTER (WHERE kind = 'membership' AND billing_reason = 'subscription_cycle')::int AS renewals,
      count(*) FILTER (WHERE status = 'refunded')::int AS refunded, count(*) FILTER (WHERE status = 'partially_refunded')::int AS partial,
      count(*) FILTER (WHERE dispute_status = 'lost')::int AS lost, count(*) FILTER (WHERE base_status <> 'succeeded')::int AS unpaid,
      count(*) FILTER (WHERE currency = 'eur')::int AS eur, count(*) FILTER (WHERE currency = 'usd')::int AS usd,
      count(*) FILTER (WHERE currency = 'jpy')::int AS jpy, count(DISTINCT article_url)::int AS articles,
      min(paid_at) AS first, max(paid_at) AS last FROM payments`)
  ).rows[0];
  const m = (
    await client.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'canceled')::int AS canceled,
      count(*) FILTER (WHERE m.interval = 'year')::int AS yearly FROM memberships m`)
  ).rows[0];
  const cs = (
    await client.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'expired')::int AS expired FROM checkout_sessions`)
  ).rows[0];
  const top = (
    await client.query(`SELECT max(n)::int AS top, (sum(n) FILTER (WHERE r <= greatest(1, c / 100)))::int AS top1
      FROM (SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS r, count(*) OVER () AS c FROM payments GROUP BY article_url) x`)
  ).rows[0];
  return {
    payments: `${p.total} (one-off ${pct(p.one_off, p.total)}, membership ${pct(p.total - p.one_off, p.total)} of which renewals ${p.renewals})`,
    currencies: `eur ${pct(p.eur, p.total)}, usd ${pct(p.usd, p.total)}, jpy ${pct(p.jpy, p.total)}`,
    'refunds / disputes': `full ${pct(p.refunded, p.total)}, partial ${pct(p.partial, p.total)}, lost disputes ${pct(p.lost, p.total)}; not succeeded (pending/failed) ${pct(p.unpaid, p.total)}`,
    articles: `${p.articles} URLs; most paid article ${pct(top.top, p.total)} of payments, top 1 % of articles ${pct(top.top1, p.total)}`,
    'paid_at spread': `${(p.first as Date).toISOString().slice(0, 10)} … ${(p.last as Date).toISOString().slice(0, 10)}`,
    memberships: `${m.total} (${pct(m.canceled, m.total)} canceled, ${pct(m.yearly, m.total)} yearly)`,
    'checkout sessions': `${cs.total} (${pct(cs.expired, cs.total)} expired)`,
  };
}

export interface Check {
  check: string;
  detail: string;
  pass: boolean;
}

/**
 * Exactness of the seeded rollups:
 *  1. one month's gross/refunded/disputed/payments per currency recomputed from payments vs the rollups (printed);
 *  2. every rollup against favour_recompute_rollups() (src/rollups/rollup.repository.ts, rolled back): rows that differ, 0.
 */
export async function verifySeed(url: string, publicationId: number): Promise<{ checks: Check[]; month: string; monthTable: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const checks: Check[] = [];
  const PUB = publicationId;
  try {
    await client.query(`SET TIME ZONE '${TIME_ZONE}'`);
    const { m0, m1 } = (
      await client.query(`SELECT to_char(date_trunc('month', (now() AT TIME ZONE '${TIME_ZONE}')::date - 40), 'YYYY-MM-DD') AS m0,
        to_char(date_trunc('month', (now() AT TIME ZONE '${TIME_ZONE}')::date - 40) + interval '1 month', 'YYYY-MM-DD') AS m1`)
    ).rows[0] as { m0: string; m1: string };
    const fromTs = `('${m0}'::date::timestamp AT TIME ZONE '${TIME_ZONE}')`;
    const toTs = `('${m1}'::date::timestamp AT TIME ZONE '${TIME_ZONE}')`;

    // 1. The month, per currency: payments vs rollups.
    const month = await client.query(`
      WITH raw AS (
        SELECT currency, count(*) AS payments, sum(amount) AS gross, sum(refunded_amount) AS refunded,
          sum(CASE WHEN dispute_status = 'lost' THEN amount - refunded_amount ELSE 0 END) AS disputed
        FROM payments WHERE publication_id = ${PUB} AND base_status = 'succeeded' AND paid_at >= ${fromTs} AND paid_at < ${toTs}
        GROUP BY currency),
      daily AS (
        SELECT currency, sum(payments) AS payments, sum(gross) AS gross, sum(refunded) AS refunded, sum(disputed) AS disputed
        FROM payment_daily_totals WHERE publication_id = ${PUB} AND day >= '${m0}' AND day < '${m1}' GROUP BY currency),
      art AS (
        SELECT currency, sum(payments) AS payments, sum(gross) AS gross, sum(refunded) AS refunded, sum(disputed) AS disputed
        FROM article_daily_totals WHERE publication_id = ${PUB} AND day >= '${m0}' AND day < '${m1}' GROUP BY currency)
      SELECT raw.currency, raw.payments::bigint AS rp, raw.gross::bigint AS rg, raw.refunded::bigint AS rr, raw.disputed::bigint AS rd,
        daily.payments::bigint AS dp, daily.gross::bigint AS dg, daily.refunded::bigint AS dr, daily.disputed::bigint AS dd,
        art.payments::bigint AS ap, art.gross::bigint AS ag, art.refunded::bigint AS ar, art.disputed::bigint AS ad
      FROM raw FULL JOIN daily USING (currency) FULL JOIN art USING (currency) ORDER BY 1`);
    const monthTable = ['| currency | source | payments | gross | refunded | disputed (lost) |', '|---|---|---:|---:|---:|---:|'];
    let monthOk = true;
    for (const r of month.rows) {
      monthTable.push(`| ${r.currency} | payments (recomputed) | ${r.rp} | ${r.rg} | ${r.rr} | ${r.rd} |`);
      monthTable.push(`| ${r.currency} | payment_daily_totals | ${r.dp} | ${r.dg} | ${r.dr} | ${r.dd} |`);
      monthTable.push(`| ${r.currency} | article_daily_totals | ${r.ap} | ${r.ag} | ${r.ar} | ${r.ad} |`);
      monthOk &&=
        [r.dp, r.ap].every((v) => v === r.rp) &&
        [r.dg, r.ag].every((v) => v === r.rg) &&
        [r.dr, r.ar].every((v) => v === r.rr) &&
        [r.dd, r.ad].every((v) => v === r.rd);
    }
    checks.push({
      check: `${m0.slice(0, 7)} per currency: payments = both rollups`,
      detail: `${month.rows.length} currencies`,
      pass: monthOk && month.rows.length > 0,
    });

    // 2. Everything, against the recompute.
    const handle = await openDatabase({ databaseUrl: url, poolSize: 1 });
    try {
      for (const [name, n] of Object.entries(await rollupDifferences(handle.db, PUB))) {
        checks.push({ check: `whole database: ${name}`, detail: `${n} differing rows`, pass: n === 0 });
      }
    } finally {
      await handle.close();
    }
    return { checks, month: m0.slice(0, 7), monthTable };
  } finally {
    await client.end();
  }
}
