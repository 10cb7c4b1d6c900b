import { type Kysely, sql } from 'kysely';

// Rollups that keep reports fast on years of data. Triggers on payments maintain them inside the
// very transaction that changes a payment (the webhook's), so they are exact at every commit.
// The triggers are deferred to commit, so a rollup row is locked only for the last moment of the
// transaction, and daily totals are split into shards (by backend) so concurrent webhooks of one day
// do not queue on a single row; reports sum the shards.

const PAYMENT_ROLLUP_FUNCTION = `CREATE FUNCTION favour_payment_rollup(p payments, sign integer) RETURNS void LANGUAGE plpgsql AS $$
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
  END $$`;
const REBUILD_ROLLUPS_FUNCTION = `CREATE FUNCTION favour_rebuild_rollups(pub integer) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    p payments;
  BEGIN
    DELETE FROM payment_daily_totals WHERE publication_id = pub;
    DELETE FROM article_daily_totals WHERE publication_id = pub;
    FOR p IN SELECT * FROM payments WHERE publication_id = pub LOOP
      PERFORM favour_payment_rollup(p, 1);
    END LOOP;
  END $$`;
const WIDGET_COUNTER_FUNCTION = `CREATE FUNCTION favour_widget_counter_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
  END $$`;

const REFRESH_SUPPORTER_TOTALS_FUNCTION = `CREATE FUNCTION favour_refresh_supporter_totals(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM supporter_totals WHERE supporter_id = sid;
    INSERT INTO supporter_totals (supporter_id, currency, payments, gross, refunded)
      SELECT sid, currency, count(*), sum(amount), sum(refunded_amount)
      FROM payments WHERE supporter_id = sid AND base_status = 'succeeded' GROUP BY currency;
    UPDATE supporters SET
      first_paid_at = (SELECT min(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded'),
      last_paid_at = (SELECT max(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded')
    WHERE id = sid;
  END $$`;

const statements = [
  `CREATE TABLE payment_daily_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    currency       text NOT NULL,
    kind           text NOT NULL,
    shard          smallint NOT NULL,
    payments       bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    disputed       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, currency, kind, shard)
  )`,
  `CREATE TABLE article_daily_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    article_url    text NOT NULL,
    variant        text NOT NULL,
    currency       text NOT NULL,
    shard          smallint NOT NULL,
    payments       bigint NOT NULL DEFAULT 0,
    one_off        bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    disputed       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, article_url, variant, currency, shard)
  )`,
  `CREATE TABLE supporter_totals (
    supporter_id   bigint NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    currency       text NOT NULL,
    payments       bigint NOT NULL,
    gross          bigint NOT NULL,
    refunded       bigint NOT NULL,
    PRIMARY KEY (supporter_id, currency)
  )`,
  `ALTER TABLE supporters ADD COLUMN first_paid_at timestamptz, ADD COLUMN last_paid_at timestamptz`,
  `CREATE INDEX supporters_publication_first_paid ON supporters (publication_id, first_paid_at)`,
  `CREATE INDEX memberships_publication_ended ON memberships (publication_id, ended_at)`,
  `CREATE INDEX payments_supporter_paid ON payments (supporter_id, paid_at) WHERE base_status = 'succeeded'`,

  // What one payment adds to (sign 1) or takes from (sign -1) the daily rollups.
  PAYMENT_ROLLUP_FUNCTION,

  // A supporter's lifetime totals per currency and first/last payment, recomputed from its payments.
  REFRESH_SUPPORTER_TOTALS_FUNCTION,

  `CREATE FUNCTION favour_payments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.base_status, OLD.paid_at, OLD.amount, OLD.refunded_amount, OLD.dispute_status, OLD.currency,
        OLD.kind, OLD.article_url, OLD.variant, OLD.supporter_id, OLD.publication_id)
      IS NOT DISTINCT FROM (NEW.base_status, NEW.paid_at, NEW.amount, NEW.refunded_amount, NEW.dispute_status, NEW.currency,
        NEW.kind, NEW.article_url, NEW.variant, NEW.supporter_id, NEW.publication_id) THEN
      RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM favour_payment_rollup(OLD, -1);
      IF OLD.supporter_id IS NOT NULL THEN
        PERFORM favour_refresh_supporter_totals(OLD.supporter_id);
      END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
      PERFORM favour_payment_rollup(NEW, 1);
      IF NEW.supporter_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.supporter_id IS DISTINCT FROM OLD.supporter_id
          OR (OLD.base_status, OLD.paid_at, OLD.amount, OLD.refunded_amount, OLD.currency)
             IS DISTINCT FROM (NEW.base_status, NEW.paid_at, NEW.amount, NEW.refunded_amount, NEW.currency)) THEN
        PERFORM favour_refresh_supporter_totals(NEW.supporter_id);
      END IF;
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE CONSTRAINT TRIGGER payments_rollups AFTER INSERT OR UPDATE OR DELETE ON payments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION favour_payments_changed()`,

  // Rebuilds one publication's rollups from its payments (after a time-zone change, or to verify them).
  REBUILD_ROLLUPS_FUNCTION,

  // The per-article funnel: the widget's impressions and clicks, and the checkouts started from the
  // article and paid (counted on the day the checkout started), in one table.
  `ALTER TABLE widget_daily_counters ADD COLUMN checkouts bigint NOT NULL DEFAULT 0, ADD COLUMN paid bigint NOT NULL DEFAULT 0`,
  `CREATE TABLE widget_daily_totals (
    publication_id integer NOT NULL REFERENCES publications(id),
    day            date NOT NULL,
    shard          smallint NOT NULL,
    impressions    bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    checkouts      bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, shard)
  )`,
  WIDGET_COUNTER_FUNCTION,
  `CREATE FUNCTION favour_checkout_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    was_paid integer := 0;
    is_paid integer := CASE WHEN NEW.status = 'complete' AND NEW.payment_status IN ('paid', 'no_payment_required') THEN 1 ELSE 0 END;
    d date;
  BEGIN
    IF TG_OP = 'UPDATE' THEN
      was_paid := CASE WHEN OLD.status = 'complete' AND OLD.payment_status IN ('paid', 'no_payment_required') THEN 1 ELSE 0 END;
      IF was_paid = is_paid THEN
        RETURN NULL;
      END IF;
    END IF;
    SELECT (NEW.created_at AT TIME ZONE pub.time_zone)::date INTO d FROM publications pub WHERE pub.id = NEW.publication_id;
    INSERT INTO widget_daily_counters AS c (publication_id, day, article_url, variant, shard, checkouts, paid)
    VALUES (NEW.publication_id, d, NEW.article_url, coalesce(NEW.variant, ''), (pg_backend_pid() % 16)::smallint,
      CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END, is_paid - was_paid)
    ON CONFLICT (publication_id, day, article_url, variant, shard) DO UPDATE SET
      checkouts = c.checkouts + excluded.checkouts, paid = c.paid + excluded.paid;
    RETURN NULL;
  END $$`,
  `CREATE CONSTRAINT TRIGGER checkout_sessions_funnel AFTER INSERT OR UPDATE ON checkout_sessions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION favour_checkout_session_changed()`,
  `CREATE CONSTRAINT TRIGGER widget_counters_rollup AFTER INSERT OR UPDATE ON widget_daily_counters DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION favour_widget_counter_changed()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    'DROP TRIGGER checkout_sessions_funnel ON checkout_sessions',
    'DROP FUNCTION favour_checkout_session_changed()',
    'DROP TRIGGER widget_counters_rollup ON widget_daily_counters',
    'DROP FUNCTION favour_widget_counter_changed()',
    'DROP TABLE widget_daily_totals',
    'ALTER TABLE widget_daily_counters DROP COLUMN checkouts, DROP COLUMN paid',
    'DROP FUNCTION favour_rebuild_rollups(integer)',
    'DROP TRIGGER payments_rollups ON payments',
    'DROP FUNCTION favour_payments_changed()',
    'DROP FUNCTION favour_refresh_supporter_totals(bigint)',
    'DROP FUNCTION favour_payment_rollup(payments, integer)',
    'DROP INDEX payments_supporter_paid',
    'DROP INDEX memberships_publication_ended',
    'DROP INDEX supporters_publication_first_paid',
    'ALTER TABLE supporters DROP COLUMN first_paid_at, DROP COLUMN last_paid_at',
    'DROP TABLE supporter_totals, article_daily_totals, payment_daily_totals',
  ]) {
    await sql.raw(statement).execute(db);
  }
}
