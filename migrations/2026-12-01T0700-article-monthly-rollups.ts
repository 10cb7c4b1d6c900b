import { type Kysely, sql } from 'kysely';
import { PAYMENT_ROLLUP_FUNCTION, REBUILD_ROLLUPS_FUNCTION, WIDGET_COUNTER_FUNCTION } from './2026-11-28T0400-report-rollups.js';

// The articles report on years of data: per-article rollups by month and per-variant rollups by day,
// kept by the same deferred triggers as the daily ones (so exact at every commit), and a fold that
// merges the shards of past days into shard 0. Shards only spare concurrent writers of *today's* rows a
// queue; on past days they are 16 times the rows for every report to read.
const revenueColumns = `
    payments       bigint NOT NULL DEFAULT 0,
    one_off        bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    disputed       bigint NOT NULL DEFAULT 0`;
const funnelColumns = `
    impressions    bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    checkouts      bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0`;

// Moves one table's rows of shards other than 0 into shard 0, adding up the given columns.
// `period` is the table's date column; rows with period < upto are folded.
function foldStatement(table: string, period: string, keys: string[], sums: string[]): string {
  const key = ['publication_id', period, ...keys];
  return `
    WITH gone AS (
      DELETE FROM ${table} WHERE publication_id = pub AND ${period} < upto AND shard <> 0
      RETURNING ${[...key, ...sums].join(', ')}
    )
    INSERT INTO ${table} AS t (${[...key, 'shard', ...sums].join(', ')})
    SELECT ${key.join(', ')}, 0, ${sums.map((c) => `sum(${c})`).join(', ')} FROM gone GROUP BY ${key.join(', ')}
    ON CONFLICT (${[...key, 'shard'].join(', ')}) DO UPDATE SET ${sums.map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')}`;
}
// Adds a delta to one rollup row: `key` and `sums` give, per column, the expression inserted; on conflict
// with the key the sums are added to the row's.
function upsertStatement(table: string, key: Record<string, string>, sums: Record<string, string>): string {
  const columns = [...Object.keys(key), ...Object.keys(sums)];
  return `INSERT INTO ${table} AS t (${columns.join(', ')})
    VALUES (${[...Object.values(key), ...Object.values(sums)].join(', ')})
    ON CONFLICT (${Object.keys(key).join(', ')}) DO UPDATE SET
      ${Object.keys(sums).map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')};`;
}

// What favour_payment_rollup adds for payment p (sign 1) or takes away (sign -1), on its local day d, in shard s.
const PAYMENT_DELTA = { payments: 'sign', gross: 'sign * p.amount', refunded: 'sign * p.refunded_amount', disputed: 'sign * lost' };
const ARTICLE_DELTA = { ...PAYMENT_DELTA, one_off: 'one_off' };
const ARTICLE = "coalesce(p.article_url, '')";
const VARIANT = "coalesce(p.variant, '')";
// What favour_widget_counter_changed adds: the counter row's change, in shard s.
const FUNNEL_DELTA = { impressions: 'di', clicks: 'dc', checkouts: 'dk', paid: 'dp' };

const REVENUE = ['payments', 'one_off', 'gross', 'refunded', 'disputed'];
const FUNNEL = ['impressions', 'clicks', 'checkouts', 'paid'];

const statements = [
  `CREATE TABLE article_monthly_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    month          date NOT NULL,
    article_url    text NOT NULL,
    currency       text NOT NULL,
    shard          smallint NOT NULL,${revenueColumns},
    PRIMARY KEY (publication_id, month, article_url, currency, shard)
  )`,
  `CREATE TABLE variant_daily_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    variant        text NOT NULL,
    currency       text NOT NULL,
    shard          smallint NOT NULL,${revenueColumns},
    PRIMARY KEY (publication_id, day, variant, currency, shard)
  )`,
  `CREATE TABLE article_monthly_funnel (
    publication_id integer NOT NULL REFERENCES publications(id),
    month          date NOT NULL,
    article_url    text NOT NULL,
    shard          smallint NOT NULL,${funnelColumns},
    PRIMARY KEY (publication_id, month, article_url, shard)
  )`,
  `CREATE TABLE variant_daily_funnel (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    variant        text NOT NULL,
    shard          smallint NOT NULL,${funnelColumns},
    PRIMARY KEY (publication_id, day, variant, shard)
  )`,

  // The same four tables, in the same order, as favour_fold_rollup_shards folds them: a webhook and a
  // fold then lock rollup rows in one order and cannot deadlock each other.
  `CREATE OR REPLACE FUNCTION favour_payment_rollup(p payments, sign integer) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    d date;
    lost bigint;
    one_off integer;
    s smallint := (pg_backend_pid() % 16)::smallint;
  BEGIN
    IF p.base_status <> 'succeeded' OR p.paid_at IS NULL THEN
      RETURN;
    END IF;
    SELECT (p.paid_at AT TIME ZONE pub.time_zone)::date INTO d FROM publications pub WHERE pub.id = p.publication_id;
    lost := CASE WHEN p.dispute_status = 'lost' THEN p.amount - p.refunded_amount ELSE 0 END;
    one_off := CASE WHEN p.kind = 'one_off' THEN sign ELSE 0 END;
    ${[
      upsertStatement('payment_daily_totals', { publication_id: 'p.publication_id', day: 'd', currency: 'p.currency', kind: 'p.kind', shard: 's' }, PAYMENT_DELTA),
      upsertStatement('article_daily_totals', { publication_id: 'p.publication_id', day: 'd', article_url: ARTICLE, variant: VARIANT, currency: 'p.currency', shard: 's' }, ARTICLE_DELTA),
      upsertStatement('article_monthly_totals', { publication_id: 'p.publication_id', month: "date_trunc('month', d)::date", article_url: ARTICLE, currency: 'p.currency', shard: 's' }, ARTICLE_DELTA),
      upsertStatement('variant_daily_totals', { publication_id: 'p.publication_id', day: 'd', variant: VARIANT, currency: 'p.currency', shard: 's' }, ARTICLE_DELTA),
    ].join('\n    ')}
  END $$`,

  // A fold moves counts between shards of widget_daily_counters and adds none: it sets favour.folding
  // so this trigger does not count them again.
  `CREATE OR REPLACE FUNCTION favour_widget_counter_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    s smallint := (pg_backend_pid() % 16)::smallint;
    di bigint;
    dc bigint;
    dk bigint;
    dp bigint;
  BEGIN
    IF current_setting('favour.folding', true) = 'on' THEN
      RETURN NULL;
    END IF;
    di := NEW.impressions - CASE WHEN TG_OP = 'UPDATE' THEN OLD.impressions ELSE 0 END;
    dc := NEW.clicks - CASE WHEN TG_OP = 'UPDATE' THEN OLD.clicks ELSE 0 END;
    dk := NEW.checkouts - CASE WHEN TG_OP = 'UPDATE' THEN OLD.checkouts ELSE 0 END;
    dp := NEW.paid - CASE WHEN TG_OP = 'UPDATE' THEN OLD.paid ELSE 0 END;
    ${[
      upsertStatement('widget_daily_totals', { publication_id: 'NEW.publication_id', day: 'NEW.day', shard: 's' }, FUNNEL_DELTA),
      upsertStatement('article_monthly_funnel', { publication_id: 'NEW.publication_id', month: "date_trunc('month', NEW.day)::date", article_url: 'NEW.article_url', shard: 's' }, FUNNEL_DELTA),
      upsertStatement('variant_daily_funnel', { publication_id: 'NEW.publication_id', day: 'NEW.day', variant: 'NEW.variant', shard: 's' }, FUNNEL_DELTA),
    ].join('\n    ')}
    RETURN NULL;
  END $$`,

  `CREATE OR REPLACE FUNCTION favour_rebuild_rollups(pub integer) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    p payments;
  BEGIN
    DELETE FROM payment_daily_totals WHERE publication_id = pub;
    DELETE FROM article_daily_totals WHERE publication_id = pub;
    DELETE FROM article_monthly_totals WHERE publication_id = pub;
    DELETE FROM variant_daily_totals WHERE publication_id = pub;
    FOR p IN SELECT * FROM payments WHERE publication_id = pub LOOP
      PERFORM favour_payment_rollup(p, 1);
    END LOOP;
  END $$`,

  // Folds one publication's rollup rows dated before \`before_day\` (months before its month) into shard 0.
  // The sums per key are unchanged. Returns the number of rows removed.
  `CREATE FUNCTION favour_fold_rollup_shards(pub integer, before_day date) RETURNS bigint LANGUAGE plpgsql AS $$
  DECLARE
    upto date := before_day;
    n bigint;
    removed bigint := 0;
  BEGIN
    ${[
      foldStatement('payment_daily_totals', 'day', ['currency', 'kind'], ['payments', 'gross', 'refunded', 'disputed']),
      foldStatement('article_daily_totals', 'day', ['article_url', 'variant', 'currency'], REVENUE),
      // A month is folded once it is over.
      `upto := date_trunc('month', before_day)::date`,
      foldStatement('article_monthly_totals', 'month', ['article_url', 'currency'], REVENUE),
      `upto := before_day`,
      foldStatement('variant_daily_totals', 'day', ['variant', 'currency'], REVENUE),
      // The counters' own trigger must not count moved rows again: it is made to fire now, while
      // favour.folding is on, rather than at commit.
      `SET CONSTRAINTS widget_counters_rollup IMMEDIATE`,
      `PERFORM set_config('favour.folding', 'on', true)`,
      foldStatement('widget_daily_counters', 'day', ['article_url', 'variant'], FUNNEL),
      `PERFORM set_config('favour.folding', 'off', true)`,
      `SET CONSTRAINTS widget_counters_rollup DEFERRED`,
      foldStatement('widget_daily_totals', 'day', [], FUNNEL),
      `upto := date_trunc('month', before_day)::date`,
      foldStatement('article_monthly_funnel', 'month', ['article_url'], FUNNEL),
      `upto := before_day`,
      foldStatement('variant_daily_funnel', 'day', ['variant'], FUNNEL),
    ]
      .map((statement) => (statement.trimStart().startsWith('WITH') ? `${statement};\n    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;` : `${statement};`))
      .join('\n    ')}
    RETURN removed;
  END $$`,

  // Back-fill from the daily rollups, folded.
  `INSERT INTO article_monthly_totals (publication_id, month, article_url, currency, shard, payments, one_off, gross, refunded, disputed)
   SELECT publication_id, date_trunc('month', day)::date, article_url, currency, 0, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)
   FROM article_daily_totals GROUP BY 1, 2, 3, 4`,
  `INSERT INTO variant_daily_totals (publication_id, day, variant, currency, shard, payments, one_off, gross, refunded, disputed)
   SELECT publication_id, day, variant, currency, 0, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)
   FROM article_daily_totals GROUP BY 1, 2, 3, 4`,
  `INSERT INTO article_monthly_funnel (publication_id, month, article_url, shard, impressions, clicks, checkouts, paid)
   SELECT publication_id, date_trunc('month', day)::date, article_url, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid)
   FROM widget_daily_counters GROUP BY 1, 2, 3`,
  `INSERT INTO variant_daily_funnel (publication_id, day, variant, shard, impressions, clicks, checkouts, paid)
   SELECT publication_id, day, variant, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid)
   FROM widget_daily_counters GROUP BY 1, 2, 3`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP FUNCTION favour_fold_rollup_shards(integer, date)').execute(db);
  for (const body of [PAYMENT_ROLLUP_FUNCTION, WIDGET_COUNTER_FUNCTION, REBUILD_ROLLUPS_FUNCTION]) {
    await sql.raw(body.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')).execute(db);
  }
  await sql.raw('DROP TABLE article_monthly_totals, variant_daily_totals, article_monthly_funnel, variant_daily_funnel').execute(db);
}
