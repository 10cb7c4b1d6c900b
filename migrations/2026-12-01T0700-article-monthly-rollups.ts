import { type Kysely, sql } from 'kysely';

// The articles report on years of data: per-article rollups by month and per-variant rollups by day,
// kept by the same deferred triggers as the daily ones (so exact at every commit), and a fold that
// merges the shards of past days into shard 0. Shards only spare concurrent writers of *today's* rows a
// queue; on past days they are 16 times the rows for every report to read.
// Literal SQL: a migration never changes.

const upStatements = [
  `CREATE TABLE article_monthly_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    month          date NOT NULL,
    article_url    text NOT NULL,
    currency       text NOT NULL,
    shard          smallint NOT NULL,
    payments       bigint NOT NULL DEFAULT 0,
    one_off        bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    disputed       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, month, article_url, currency, shard)
  )`,
  `CREATE TABLE variant_daily_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    variant        text NOT NULL,
    currency       text NOT NULL,
    shard          smallint NOT NULL,
    payments       bigint NOT NULL DEFAULT 0,
    one_off        bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    disputed       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, variant, currency, shard)
  )`,
  `CREATE TABLE article_monthly_funnel (
    publication_id integer NOT NULL REFERENCES publications(id),
    month          date NOT NULL,
    article_url    text NOT NULL,
    shard          smallint NOT NULL,
    impressions    bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    checkouts      bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, month, article_url, shard)
  )`,
  `CREATE TABLE variant_daily_funnel (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    variant        text NOT NULL,
    shard          smallint NOT NULL,
    impressions    bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    checkouts      bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, variant, shard)
  )`,
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
    INSERT INTO payment_daily_totals AS t (publication_id, day, currency, kind, shard, payments, gross, refunded, disputed)
    VALUES (p.publication_id, d, p.currency, p.kind, s, sign, sign * p.amount, sign * p.refunded_amount, sign * lost)
    ON CONFLICT (publication_id, day, currency, kind, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    INSERT INTO article_daily_totals AS t (publication_id, day, article_url, variant, currency, shard, payments, gross, refunded, disputed, one_off)
    VALUES (p.publication_id, d, coalesce(p.article_url, ''), coalesce(p.variant, ''), p.currency, s, sign, sign * p.amount, sign * p.refunded_amount, sign * lost, one_off)
    ON CONFLICT (publication_id, day, article_url, variant, currency, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed, one_off = t.one_off + excluded.one_off;
    INSERT INTO article_monthly_totals AS t (publication_id, month, article_url, currency, shard, payments, gross, refunded, disputed, one_off)
    VALUES (p.publication_id, date_trunc('month', d)::date, coalesce(p.article_url, ''), p.currency, s, sign, sign * p.amount, sign * p.refunded_amount, sign * lost, one_off)
    ON CONFLICT (publication_id, month, article_url, currency, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed, one_off = t.one_off + excluded.one_off;
    INSERT INTO variant_daily_totals AS t (publication_id, day, variant, currency, shard, payments, gross, refunded, disputed, one_off)
    VALUES (p.publication_id, d, coalesce(p.variant, ''), p.currency, s, sign, sign * p.amount, sign * p.refunded_amount, sign * lost, one_off)
    ON CONFLICT (publication_id, day, variant, currency, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed, one_off = t.one_off + excluded.one_off;
  END $$`,
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
    INSERT INTO widget_daily_totals AS t (publication_id, day, shard, impressions, clicks, checkouts, paid)
    VALUES (NEW.publication_id, NEW.day, s, di, dc, dk, dp)
    ON CONFLICT (publication_id, day, shard) DO UPDATE SET
      impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    INSERT INTO article_monthly_funnel AS t (publication_id, month, article_url, shard, impressions, clicks, checkouts, paid)
    VALUES (NEW.publication_id, date_trunc('month', NEW.day)::date, NEW.article_url, s, di, dc, dk, dp)
    ON CONFLICT (publication_id, month, article_url, shard) DO UPDATE SET
      impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    INSERT INTO variant_daily_funnel AS t (publication_id, day, variant, shard, impressions, clicks, checkouts, paid)
    VALUES (NEW.publication_id, NEW.day, NEW.variant, s, di, dc, dk, dp)
    ON CONFLICT (publication_id, day, variant, shard) DO UPDATE SET
      impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
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
  `CREATE FUNCTION favour_fold_rollup_shards(pub integer, before_day date) RETURNS bigint LANGUAGE plpgsql AS $$
  DECLARE
    upto date := before_day;
    n bigint;
    removed bigint := 0;
  BEGIN
    
    WITH gone AS (
      DELETE FROM payment_daily_totals WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, currency, kind, payments, gross, refunded, disputed
    )
    INSERT INTO payment_daily_totals AS t (publication_id, day, currency, kind, shard, payments, gross, refunded, disputed)
    SELECT publication_id, day, currency, kind, 0, sum(payments), sum(gross), sum(refunded), sum(disputed) FROM gone GROUP BY publication_id, day, currency, kind
    ON CONFLICT (publication_id, day, currency, kind, shard) DO UPDATE SET payments = t.payments + excluded.payments, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    
    WITH gone AS (
      DELETE FROM article_daily_totals WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, article_url, variant, currency, payments, one_off, gross, refunded, disputed
    )
    INSERT INTO article_daily_totals AS t (publication_id, day, article_url, variant, currency, shard, payments, one_off, gross, refunded, disputed)
    SELECT publication_id, day, article_url, variant, currency, 0, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed) FROM gone GROUP BY publication_id, day, article_url, variant, currency
    ON CONFLICT (publication_id, day, article_url, variant, currency, shard) DO UPDATE SET payments = t.payments + excluded.payments, one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    upto := date_trunc('month', before_day)::date;
    
    WITH gone AS (
      DELETE FROM article_monthly_totals WHERE publication_id = pub AND month < upto AND shard <> 0
      RETURNING publication_id, month, article_url, currency, payments, one_off, gross, refunded, disputed
    )
    INSERT INTO article_monthly_totals AS t (publication_id, month, article_url, currency, shard, payments, one_off, gross, refunded, disputed)
    SELECT publication_id, month, article_url, currency, 0, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed) FROM gone GROUP BY publication_id, month, article_url, currency
    ON CONFLICT (publication_id, month, article_url, currency, shard) DO UPDATE SET payments = t.payments + excluded.payments, one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    upto := before_day;
    
    WITH gone AS (
      DELETE FROM variant_daily_totals WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, variant, currency, payments, one_off, gross, refunded, disputed
    )
    INSERT INTO variant_daily_totals AS t (publication_id, day, variant, currency, shard, payments, one_off, gross, refunded, disputed)
    SELECT publication_id, day, variant, currency, 0, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed) FROM gone GROUP BY publication_id, day, variant, currency
    ON CONFLICT (publication_id, day, variant, currency, shard) DO UPDATE SET payments = t.payments + excluded.payments, one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    SET CONSTRAINTS widget_counters_rollup IMMEDIATE;
    PERFORM set_config('favour.folding', 'on', true);
    
    WITH gone AS (
      DELETE FROM widget_daily_counters WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, article_url, variant, impressions, clicks, checkouts, paid
    )
    INSERT INTO widget_daily_counters AS t (publication_id, day, article_url, variant, shard, impressions, clicks, checkouts, paid)
    SELECT publication_id, day, article_url, variant, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM gone GROUP BY publication_id, day, article_url, variant
    ON CONFLICT (publication_id, day, article_url, variant, shard) DO UPDATE SET impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    PERFORM set_config('favour.folding', 'off', true);
    SET CONSTRAINTS widget_counters_rollup DEFERRED;
    
    WITH gone AS (
      DELETE FROM widget_daily_totals WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, impressions, clicks, checkouts, paid
    )
    INSERT INTO widget_daily_totals AS t (publication_id, day, shard, impressions, clicks, checkouts, paid)
    SELECT publication_id, day, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM gone GROUP BY publication_id, day
    ON CONFLICT (publication_id, day, shard) DO UPDATE SET impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    upto := date_trunc('month', before_day)::date;
    
    WITH gone AS (
      DELETE FROM article_monthly_funnel WHERE publication_id = pub AND month < upto AND shard <> 0
      RETURNING publication_id, month, article_url, impressions, clicks, checkouts, paid
    )
    INSERT INTO article_monthly_funnel AS t (publication_id, month, article_url, shard, impressions, clicks, checkouts, paid)
    SELECT publication_id, month, article_url, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM gone GROUP BY publication_id, month, article_url
    ON CONFLICT (publication_id, month, article_url, shard) DO UPDATE SET impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    upto := before_day;
    
    WITH gone AS (
      DELETE FROM variant_daily_funnel WHERE publication_id = pub AND day < upto AND shard <> 0
      RETURNING publication_id, day, variant, impressions, clicks, checkouts, paid
    )
    INSERT INTO variant_daily_funnel AS t (publication_id, day, variant, shard, impressions, clicks, checkouts, paid)
    SELECT publication_id, day, variant, 0, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM gone GROUP BY publication_id, day, variant
    ON CONFLICT (publication_id, day, variant, shard) DO UPDATE SET impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    GET DIAGNOSTICS n = ROW_COUNT; removed := removed + n;
    RETURN removed;
  END $$`,
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

const downStatements = [
  `DROP FUNCTION favour_fold_rollup_shards(integer, date)`,
  `CREATE OR REPLACE FUNCTION favour_payment_rollup(p payments, sign integer) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    d date;
    lost bigint;
    s smallint := (pg_backend_pid() % 16)::smallint;
  BEGIN
    IF p.base_status <> 'succeeded' OR p.paid_at IS NULL THEN
      RETURN;
    END IF;
    SELECT (p.paid_at AT TIME ZONE pub.time_zone)::date INTO d FROM publications pub WHERE pub.id = p.publication_id;
    lost := CASE WHEN p.dispute_status = 'lost' THEN p.amount - p.refunded_amount ELSE 0 END;
    INSERT INTO payment_daily_totals AS t (publication_id, day, currency, kind, shard, payments, gross, refunded, disputed)
    VALUES (p.publication_id, d, p.currency, p.kind, s, sign, sign * p.amount, sign * p.refunded_amount, sign * lost)
    ON CONFLICT (publication_id, day, currency, kind, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, gross = t.gross + excluded.gross,
      refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
    INSERT INTO article_daily_totals AS t (publication_id, day, article_url, variant, currency, shard, payments, one_off, gross, refunded, disputed)
    VALUES (p.publication_id, d, coalesce(p.article_url, ''), coalesce(p.variant, ''), p.currency, s, sign,
      CASE WHEN p.kind = 'one_off' THEN sign ELSE 0 END, sign * p.amount, sign * p.refunded_amount, sign * lost)
    ON CONFLICT (publication_id, day, article_url, variant, currency, shard) DO UPDATE SET
      payments = t.payments + excluded.payments, one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross,
      refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed;
  END $$`,
  `CREATE OR REPLACE FUNCTION favour_widget_counter_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO widget_daily_totals AS t (publication_id, day, shard, impressions, clicks, checkouts, paid)
    VALUES (NEW.publication_id, NEW.day, (pg_backend_pid() % 16)::smallint,
      NEW.impressions - CASE WHEN TG_OP = 'UPDATE' THEN OLD.impressions ELSE 0 END,
      NEW.clicks - CASE WHEN TG_OP = 'UPDATE' THEN OLD.clicks ELSE 0 END,
      NEW.checkouts - CASE WHEN TG_OP = 'UPDATE' THEN OLD.checkouts ELSE 0 END,
      NEW.paid - CASE WHEN TG_OP = 'UPDATE' THEN OLD.paid ELSE 0 END)
    ON CONFLICT (publication_id, day, shard) DO UPDATE SET
      impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks,
      checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;
    RETURN NULL;
  END $$`,
  `CREATE OR REPLACE FUNCTION favour_rebuild_rollups(pub integer) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    p payments;
  BEGIN
    DELETE FROM payment_daily_totals WHERE publication_id = pub;
    DELETE FROM article_daily_totals WHERE publication_id = pub;
    FOR p IN SELECT * FROM payments WHERE publication_id = pub LOOP
      PERFORM favour_payment_rollup(p, 1);
    END LOOP;
  END $$`,
  `DROP TABLE article_monthly_totals, variant_daily_totals, article_monthly_funnel, variant_daily_funnel`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of downStatements) await sql.raw(statement).execute(db);
}
