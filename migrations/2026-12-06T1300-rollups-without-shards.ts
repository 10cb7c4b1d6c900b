import { type Kysely, sql } from 'kysely';

// Rollups written once per batch instead of once per row at commit. Writes to payments and checkout
// sessions only *record* what they change (statement triggers append signed entries to three change
// tables); favour_fold_rollup_changes, which the webhook applier runs at the end of each batch, adds the
// entries up and writes each touched rollup row once. With one writer per row per batch there is nothing
// to spread, so the 16 shards, their hourly fold and the commit-time triggers go.
//
// The rules are written once, here, as SQL:
//   favour_payment_rollup_entry   what a payment counts for in the revenue rollups
//   favour_checkout_funnel_entry  what a Checkout Session counts for in the funnel
//   favour_fold_rollup_changes    how entries add up into each rollup table
//   favour_add_widget_counts      a flush of the beacons' counts, entered and folded in one statement
//   favour_recompute_rollups      a publication's rollups from scratch: its payments, sessions and widget
//                                 counters entered afresh and folded (backfill below, `favour rollups
//                                 rebuild|verify`, a time-zone change, the reports bench seed)
// No down(): the sharded layout and its triggers are not worth rebuilding; go back by restoring a backup.
const statements = [
  'DROP TRIGGER payments_rollups ON payments',
  'DROP TRIGGER checkout_sessions_funnel ON checkout_sessions',
  'DROP TRIGGER widget_counters_rollup ON widget_daily_counters',
  'DROP FUNCTION favour_payments_changed()',
  'DROP FUNCTION favour_checkout_session_changed()',
  'DROP FUNCTION favour_widget_counter_changed()',
  'DROP FUNCTION favour_fold_rollup_shards(integer, date)',
  'DROP FUNCTION favour_rebuild_rollups(integer)',
  'DROP FUNCTION favour_payment_rollup(payments, integer)',
  'DROP FUNCTION favour_refresh_supporter_totals(bigint)',

  // Impressions and clicks are counted nowhere else: keep their sums while the shard column goes.
  `CREATE TABLE widget_counts_unsharded AS
     SELECT publication_id, day, article_url, variant, sum(impressions)::bigint AS impressions, sum(clicks)::bigint AS clicks
     FROM widget_daily_counters GROUP BY 1, 2, 3, 4`,
  // Every other rollup is recomputed below.
  `TRUNCATE widget_daily_counters, payment_daily_totals, article_daily_totals, article_monthly_totals, variant_daily_totals,
     widget_daily_totals, article_monthly_funnel, variant_daily_funnel, supporter_totals`,
  'ALTER TABLE widget_daily_counters DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day, article_url, variant)',
  'ALTER TABLE payment_daily_totals DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day, currency, kind)',
  'ALTER TABLE article_daily_totals DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day, article_url, variant, currency)',
  'ALTER TABLE article_monthly_totals DROP COLUMN shard, ADD PRIMARY KEY (publication_id, month, article_url, currency)',
  'ALTER TABLE variant_daily_totals DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day, variant, currency)',
  'ALTER TABLE widget_daily_totals DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day)',
  'ALTER TABLE article_monthly_funnel DROP COLUMN shard, ADD PRIMARY KEY (publication_id, month, article_url)',
  'ALTER TABLE variant_daily_funnel DROP COLUMN shard, ADD PRIMARY KEY (publication_id, day, variant)',
  `INSERT INTO widget_daily_counters (publication_id, day, article_url, variant, impressions, clicks)
     SELECT publication_id, day, article_url, variant, impressions, clicks FROM widget_counts_unsharded`,
  'DROP TABLE widget_counts_unsharded',

  // Entries not yet folded. Rows live inside the transaction that wrote them and are folded before it
  // commits; anything committed unfolded (a write outside the applier) is folded by the next batch.
  `CREATE TABLE payment_rollup_changes (
    publication_id integer NOT NULL,
    day            date NOT NULL,
    currency       text NOT NULL,
    kind           text NOT NULL,
    article_url    text NOT NULL,
    variant        text NOT NULL,
    payments       bigint NOT NULL,
    one_off        bigint NOT NULL,
    gross          bigint NOT NULL,
    refunded       bigint NOT NULL,
    disputed       bigint NOT NULL
  )`,
  `CREATE TABLE funnel_rollup_changes (
    publication_id integer NOT NULL,
    day            date NOT NULL,
    article_url    text NOT NULL,
    variant        text NOT NULL,
    impressions    bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    checkouts      bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0
  )`,
  // Supporters whose lifetime totals and first/last payment need recomputing.
  'CREATE TABLE supporter_rollup_changes (supporter_id bigint NOT NULL)',

  // What payment p counts for (sign 1) or no longer counts for (sign -1): a succeeded payment with a
  // paid_at, on the publication's local day; a lost dispute takes what was not refunded.
  `CREATE FUNCTION favour_payment_rollup_entry(p payments, sign integer) RETURNS SETOF payment_rollup_changes
   LANGUAGE sql STABLE AS $$
    SELECT p.publication_id, (p.paid_at AT TIME ZONE pub.time_zone)::date, p.currency, p.kind,
      coalesce(p.article_url, ''), coalesce(p.variant, ''),
      sign::bigint, CASE WHEN p.kind = 'one_off' THEN sign ELSE 0 END::bigint, sign * p.amount, sign * p.refunded_amount,
      sign * CASE WHEN p.dispute_status = 'lost' THEN p.amount - p.refunded_amount ELSE 0 END
    FROM publications pub WHERE pub.id = p.publication_id AND p.base_status = 'succeeded' AND p.paid_at IS NOT NULL
  $$`,
  // What Checkout Session cs counts for in the funnel: a checkout on the local day it started, paid
  // once complete and paid (or free).
  `CREATE FUNCTION favour_checkout_funnel_entry(cs checkout_sessions, sign integer) RETURNS SETOF funnel_rollup_changes
   LANGUAGE sql STABLE AS $$
    SELECT cs.publication_id, (cs.created_at AT TIME ZONE pub.time_zone)::date, cs.article_url, coalesce(cs.variant, ''),
      0::bigint, 0::bigint, sign::bigint,
      CASE WHEN cs.status = 'complete' AND cs.payment_status IN ('paid', 'no_payment_required') THEN sign ELSE 0 END::bigint
    FROM publications pub WHERE pub.id = cs.publication_id
  $$`,

  // The statement triggers: one INSERT per write statement, entries out for the old rows and in for the
  // new ones; an update enters only rows whose counted columns changed.
  `CREATE FUNCTION favour_record_payment_changes() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO payment_rollup_changes SELECT e.* FROM new_rows n CROSS JOIN LATERAL favour_payment_rollup_entry(n, 1) e;
      INSERT INTO supporter_rollup_changes SELECT DISTINCT supporter_id FROM new_rows WHERE supporter_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
      INSERT INTO payment_rollup_changes SELECT e.* FROM old_rows o CROSS JOIN LATERAL favour_payment_rollup_entry(o, -1) e;
      INSERT INTO supporter_rollup_changes SELECT DISTINCT supporter_id FROM old_rows WHERE supporter_id IS NOT NULL;
    ELSE
      INSERT INTO payment_rollup_changes
        SELECT e.* FROM old_rows o JOIN new_rows n ON n.id = o.id CROSS JOIN LATERAL (
          SELECT * FROM favour_payment_rollup_entry(o, -1) UNION ALL SELECT * FROM favour_payment_rollup_entry(n, 1)) e
        WHERE (n.base_status, n.paid_at, n.amount, n.refunded_amount, n.dispute_status, n.article_url, n.variant)
          IS DISTINCT FROM (o.base_status, o.paid_at, o.amount, o.refunded_amount, o.dispute_status, o.article_url, o.variant);
      INSERT INTO supporter_rollup_changes
        SELECT DISTINCT s.id FROM old_rows o JOIN new_rows n ON n.id = o.id CROSS JOIN LATERAL unnest(ARRAY[o.supporter_id, n.supporter_id]) s(id)
        WHERE s.id IS NOT NULL AND (n.supporter_id, n.base_status, n.paid_at, n.amount, n.refunded_amount)
          IS DISTINCT FROM (o.supporter_id, o.base_status, o.paid_at, o.amount, o.refunded_amount);
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE FUNCTION favour_record_checkout_changes() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO funnel_rollup_changes SELECT e.* FROM new_rows n CROSS JOIN LATERAL favour_checkout_funnel_entry(n, 1) e;
    ELSIF TG_OP = 'DELETE' THEN
      INSERT INTO funnel_rollup_changes SELECT e.* FROM old_rows o CROSS JOIN LATERAL favour_checkout_funnel_entry(o, -1) e;
    ELSE
      INSERT INTO funnel_rollup_changes
        SELECT e.* FROM old_rows o JOIN new_rows n ON n.id = o.id CROSS JOIN LATERAL (
          SELECT * FROM favour_checkout_funnel_entry(o, -1) UNION ALL SELECT * FROM favour_checkout_funnel_entry(n, 1)) e
        WHERE (n.status, n.payment_status, n.created_at, n.article_url, n.variant)
          IS DISTINCT FROM (o.status, o.payment_status, o.created_at, o.article_url, o.variant);
    END IF;
    RETURN NULL;
  END $$`,
  // Transition tables allow one event per trigger.
  `CREATE TRIGGER payments_inserted AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_payment_changes()`,
  `CREATE TRIGGER payments_updated AFTER UPDATE ON payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_payment_changes()`,
  `CREATE TRIGGER payments_deleted AFTER DELETE ON payments REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_payment_changes()`,
  `CREATE TRIGGER checkout_sessions_inserted AFTER INSERT ON checkout_sessions REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_checkout_changes()`,
  `CREATE TRIGGER checkout_sessions_updated AFTER UPDATE ON checkout_sessions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_checkout_changes()`,
  `CREATE TRIGGER checkout_sessions_deleted AFTER DELETE ON checkout_sessions REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION favour_record_checkout_changes()`,

  // Recomputes the touched supporters' totals (locked first, so two folds of one supporter take turns and
  // the second reads the first's commit), then adds every entry this transaction can see to the rollups,
  // each touched row once, in key order. Shared rollup rows (today's) are the last locks a batch takes:
  // a fold waiting for one holds nothing another fold needs. Rows whose entries cancel out are not written.
  `CREATE FUNCTION favour_fold_rollup_changes() RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    touched bigint[];
  BEGIN
    WITH taken AS (DELETE FROM supporter_rollup_changes RETURNING supporter_id)
    SELECT array_agg(DISTINCT supporter_id ORDER BY supporter_id) INTO touched FROM taken;
    IF touched IS NOT NULL THEN
      PERFORM 1 FROM supporters WHERE id IN (SELECT unnest(touched)) ORDER BY id FOR UPDATE;
      DELETE FROM supporter_totals WHERE supporter_id IN (SELECT unnest(touched));
      INSERT INTO supporter_totals (supporter_id, currency, payments, gross, refunded)
        SELECT p.supporter_id, p.currency, count(*), sum(p.amount), sum(p.refunded_amount)
        FROM payments p JOIN supporters s ON s.id = p.supporter_id
        WHERE p.supporter_id IN (SELECT unnest(touched)) AND p.base_status = 'succeeded' GROUP BY 1, 2;
      UPDATE supporters s SET first_paid_at = x.first_paid_at, last_paid_at = x.last_paid_at
      FROM (
        SELECT s2.id, min(p.paid_at) AS first_paid_at, max(p.paid_at) AS last_paid_at
        FROM supporters s2 LEFT JOIN payments p ON p.supporter_id = s2.id AND p.base_status = 'succeeded'
        WHERE s2.id IN (SELECT unnest(touched)) GROUP BY s2.id
      ) x
      WHERE s.id = x.id AND (s.first_paid_at, s.last_paid_at) IS DISTINCT FROM (x.first_paid_at, x.last_paid_at);
    END IF;

    WITH taken AS (DELETE FROM payment_rollup_changes RETURNING *),
    summed AS (
      SELECT publication_id, day, currency, kind, article_url, variant, sum(payments) AS payments, sum(one_off) AS one_off,
        sum(gross) AS gross, sum(refunded) AS refunded, sum(disputed) AS disputed
      FROM taken GROUP BY 1, 2, 3, 4, 5, 6
      HAVING (sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)) <> (0, 0, 0, 0, 0)
    ),
    daily AS (
      INSERT INTO payment_daily_totals AS t (publication_id, day, currency, kind, payments, gross, refunded, disputed)
      SELECT publication_id, day, currency, kind, sum(payments), sum(gross), sum(refunded), sum(disputed)
      FROM summed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (publication_id, day, currency, kind) DO UPDATE SET payments = t.payments + excluded.payments,
        gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded, disputed = t.disputed + excluded.disputed
    ),
    article_daily AS (
      INSERT INTO article_daily_totals AS t (publication_id, day, article_url, variant, currency, payments, one_off, gross, refunded, disputed)
      SELECT publication_id, day, article_url, variant, currency, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)
      FROM summed GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (publication_id, day, article_url, variant, currency) DO UPDATE SET payments = t.payments + excluded.payments,
        one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded,
        disputed = t.disputed + excluded.disputed
    ),
    article_monthly AS (
      INSERT INTO article_monthly_totals AS t (publication_id, month, article_url, currency, payments, one_off, gross, refunded, disputed)
      SELECT publication_id, date_trunc('month', day)::date, article_url, currency, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)
      FROM summed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (publication_id, month, article_url, currency) DO UPDATE SET payments = t.payments + excluded.payments,
        one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded,
        disputed = t.disputed + excluded.disputed
    )
    INSERT INTO variant_daily_totals AS t (publication_id, day, variant, currency, payments, one_off, gross, refunded, disputed)
    SELECT publication_id, day, variant, currency, sum(payments), sum(one_off), sum(gross), sum(refunded), sum(disputed)
    FROM summed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (publication_id, day, variant, currency) DO UPDATE SET payments = t.payments + excluded.payments,
      one_off = t.one_off + excluded.one_off, gross = t.gross + excluded.gross, refunded = t.refunded + excluded.refunded,
      disputed = t.disputed + excluded.disputed;

    WITH taken AS (DELETE FROM funnel_rollup_changes RETURNING *),
    summed AS (
      SELECT publication_id, day, article_url, variant, sum(impressions) AS impressions, sum(clicks) AS clicks,
        sum(checkouts) AS checkouts, sum(paid) AS paid
      FROM taken GROUP BY 1, 2, 3, 4 HAVING (sum(impressions), sum(clicks), sum(checkouts), sum(paid)) <> (0, 0, 0, 0)
    ),
    counters AS (
      INSERT INTO widget_daily_counters AS t (publication_id, day, article_url, variant, impressions, clicks, checkouts, paid)
      SELECT * FROM summed ORDER BY 1, 2, 3, 4
      ON CONFLICT (publication_id, day, article_url, variant) DO UPDATE SET impressions = t.impressions + excluded.impressions,
        clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid
    ),
    daily AS (
      INSERT INTO widget_daily_totals AS t (publication_id, day, impressions, clicks, checkouts, paid)
      SELECT publication_id, day, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM summed GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (publication_id, day) DO UPDATE SET impressions = t.impressions + excluded.impressions,
        clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid
    ),
    article_monthly AS (
      INSERT INTO article_monthly_funnel AS t (publication_id, month, article_url, impressions, clicks, checkouts, paid)
      SELECT publication_id, date_trunc('month', day)::date, article_url, sum(impressions), sum(clicks), sum(checkouts), sum(paid)
      FROM summed GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (publication_id, month, article_url) DO UPDATE SET impressions = t.impressions + excluded.impressions,
        clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid
    )
    INSERT INTO variant_daily_funnel AS t (publication_id, day, variant, impressions, clicks, checkouts, paid)
    SELECT publication_id, day, variant, sum(impressions), sum(clicks), sum(checkouts), sum(paid) FROM summed GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (publication_id, day, variant) DO UPDATE SET impressions = t.impressions + excluded.impressions,
      clicks = t.clicks + excluded.clicks, checkouts = t.checkouts + excluded.checkouts, paid = t.paid + excluded.paid;

  END $$`,

  // The widget's beacons, counted in memory and flushed once a second: one statement enters and folds them.
  `CREATE FUNCTION favour_add_widget_counts(counts jsonb) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO funnel_rollup_changes (publication_id, day, article_url, variant, impressions, clicks)
      SELECT * FROM jsonb_to_recordset(counts)
        AS c(publication_id integer, day date, article_url text, variant text, impressions bigint, clicks bigint);
    PERFORM favour_fold_rollup_changes();
  END $$`,

  // One publication's rollups from scratch. The change tables are locked first: writers wait until
  // this commits, and entries about the publication already recorded are dropped, since the
  // recomputation reads their effect from the payments themselves.
  `CREATE FUNCTION favour_recompute_rollups(pub integer) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    LOCK TABLE payment_rollup_changes, funnel_rollup_changes, supporter_rollup_changes IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM payment_rollup_changes WHERE publication_id = pub;
    DELETE FROM funnel_rollup_changes WHERE publication_id = pub;
    DELETE FROM payment_daily_totals WHERE publication_id = pub;
    DELETE FROM article_daily_totals WHERE publication_id = pub;
    DELETE FROM article_monthly_totals WHERE publication_id = pub;
    DELETE FROM variant_daily_totals WHERE publication_id = pub;
    DELETE FROM widget_daily_totals WHERE publication_id = pub;
    DELETE FROM article_monthly_funnel WHERE publication_id = pub;
    DELETE FROM variant_daily_funnel WHERE publication_id = pub;

    INSERT INTO payment_rollup_changes
      SELECT e.* FROM payments p CROSS JOIN LATERAL favour_payment_rollup_entry(p, 1) e WHERE p.publication_id = pub;
    -- The counters' impressions and clicks are the beacons' own record: they go round once, unchanged.
    WITH counted AS (DELETE FROM widget_daily_counters WHERE publication_id = pub RETURNING *)
    INSERT INTO funnel_rollup_changes (publication_id, day, article_url, variant, impressions, clicks)
      SELECT publication_id, day, article_url, variant, impressions, clicks FROM counted;
    INSERT INTO funnel_rollup_changes
      SELECT e.* FROM checkout_sessions cs CROSS JOIN LATERAL favour_checkout_funnel_entry(cs, 1) e WHERE cs.publication_id = pub;
    INSERT INTO supporter_rollup_changes SELECT id FROM supporters WHERE publication_id = pub;
    DELETE FROM supporter_totals t USING supporters s WHERE s.id = t.supporter_id AND s.publication_id = pub;

    PERFORM favour_fold_rollup_changes();
  END $$`,

  'SELECT favour_recompute_rollups(id) FROM publications ORDER BY id',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
