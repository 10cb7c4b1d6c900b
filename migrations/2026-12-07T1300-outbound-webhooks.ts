import { type Kysely, sql } from 'kysely';

// Publishers' tools hear about supporters: endpoints per publication, and for each change worth telling one message
// (Standard Webhooks body, kept for replay) with one delivery per subscribed endpoint. Triggers write them in the
// transaction that made the change, whatever code made it and in whatever order Stripe's events came: a transition
// is told once, when the row makes it. A publication without endpoints costs one index probe per changed row.
// A message's id is its version: later changes of one object have larger ids.
const STATEMENTS = [
  `CREATE TABLE webhook_endpoints (
    id text PRIMARY KEY,
    publication_id integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    url text NOT NULL,
    description text,
    events text[],
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    failing_since timestamptz,
    disabled_at timestamptz,
    disabled_reason text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_endpoints_publication_idx ON webhook_endpoints (publication_id)`,
  `CREATE TABLE webhook_messages (
    id bigserial PRIMARY KEY,
    webhook_id text NOT NULL UNIQUE,
    publication_id integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    type text NOT NULL,
    object_key text NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id bigint NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    object_key text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status integer,
    last_error text,
    last_duration_ms integer,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
  `CREATE INDEX webhook_deliveries_object_idx ON webhook_deliveries (endpoint_id, object_key, message_id) WHERE status = 'pending'`,
  `CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id)`,
  `CREATE INDEX webhook_deliveries_message_idx ON webhook_deliveries (message_id)`,

  `CREATE FUNCTION favour_iso(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`,
  `CREATE FUNCTION favour_webhook_supporter(supporter_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', s.id, 'email', s.email, 'name', s.name)
    FROM supporters s WHERE s.id = supporter_id AND s.erased_at IS NULL $$`,
  // One message and its deliveries, when an enabled endpoint of the publication takes this type.
  `CREATE FUNCTION favour_webhook_enqueue(publication integer, event_type text, object_key text, data jsonb) RETURNS void
    LANGUAGE plpgsql AS $$
  #variable_conflict use_variable
  DECLARE
    message bigint;
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.publication_id = publication AND e.disabled_at IS NULL
        AND (e.events IS NULL OR event_type = ANY (e.events))) THEN
      RETURN;
    END IF;
    message := nextval(pg_get_serial_sequence('webhook_messages', 'id'));
    INSERT INTO webhook_messages (id, webhook_id, publication_id, type, object_key, body)
    VALUES (message, 'msg_' || replace(gen_random_uuid()::text, '-', ''), publication, event_type, object_key,
      jsonb_build_object('type', event_type, 'timestamp', favour_iso(now()),
        'data', data || jsonb_build_object('publication', (SELECT slug FROM publications WHERE id = publication), 'version', message)));
    INSERT INTO webhook_deliveries (endpoint_id, message_id, object_key)
    SELECT e.id, message, object_key FROM webhook_endpoints e
    WHERE e.publication_id = publication AND e.disabled_at IS NULL AND (e.events IS NULL OR event_type = ANY (e.events));
  END $$`,
  `CREATE FUNCTION favour_webhook_payment_data(p payments) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('object', 'payment', 'id', p.id, 'kind', p.kind, 'amount', p.amount, 'currency', p.currency,
      'status', p.status, 'refunded_amount', p.refunded_amount, 'fee_cover_amount', p.fee_cover_amount,
      'dispute_status', p.dispute_status, 'article_url', p.article_url, 'variant', p.variant,
      'created_at', favour_iso(p.created_at), 'paid_at', favour_iso(p.paid_at), 'updated_at', favour_iso(p.updated_at),
      'supporter', favour_webhook_supporter(p.supporter_id),
      'stripe', jsonb_build_object('checkout_session', p.checkout_session_id, 'payment_intent', p.payment_intent_id,
        'invoice', p.invoice_id, 'subscription', p.subscription_id, 'customer', p.customer_id)) $$`,
  `CREATE FUNCTION favour_webhook_payment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE publication_id = NEW.publication_id AND disabled_at IS NULL) THEN
      RETURN NULL;
    END IF;
    IF NEW.base_status = 'succeeded' AND (TG_OP = 'INSERT' OR OLD.base_status <> 'succeeded') THEN
      PERFORM favour_webhook_enqueue(NEW.publication_id, 'payment.succeeded', 'payment:' || NEW.id, favour_webhook_payment_data(NEW));
    END IF;
    IF NEW.refunded_amount > (CASE WHEN TG_OP = 'INSERT' THEN 0 ELSE OLD.refunded_amount END) THEN
      PERFORM favour_webhook_enqueue(NEW.publication_id, 'payment.refunded', 'payment:' || NEW.id, favour_webhook_payment_data(NEW));
    END IF;
    IF NEW.dispute_status IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.dispute_status IS DISTINCT FROM OLD.dispute_status) THEN
      PERFORM favour_webhook_enqueue(NEW.publication_id, 'payment.disputed', 'payment:' || NEW.id, favour_webhook_payment_data(NEW));
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER payments_webhooks AFTER INSERT OR UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION favour_webhook_payment_changed()`,

  `CREATE FUNCTION favour_webhook_membership_data(m memberships) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('object', 'membership', 'id', m.subscription_id, 'status', m.status, 'amount', m.amount,
      'currency', m.currency, 'interval', m.interval, 'interval_count', m.interval_count,
      'cancel_at_period_end', m.cancel_at_period_end, 'current_period_end', favour_iso(m.current_period_end),
      'started_at', favour_iso(m.started_at), 'canceled_at', favour_iso(m.canceled_at), 'ended_at', favour_iso(m.ended_at),
      'article_url', m.article_url, 'variant', m.variant, 'updated_at', favour_iso(m.updated_at),
      'supporter', favour_webhook_supporter(m.supporter_id),
      'stripe', jsonb_build_object('subscription', m.subscription_id, 'customer', m.customer_id)) $$`,
  // Started: first live (a membership that never got past "incomplete" neither starts nor ends); ended: canceled or
  // given an end; updated: status, amount, interval or cancel-at-period-end changed in between.
  `CREATE FUNCTION favour_webhook_membership_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    live boolean := NEW.status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused') AND NEW.ended_at IS NULL;
    ended boolean := NEW.ended_at IS NOT NULL OR NEW.status IN ('canceled', 'incomplete_expired');
    was_ended boolean := TG_OP = 'UPDATE' AND (OLD.ended_at IS NOT NULL OR OLD.status IN ('canceled', 'incomplete_expired'));
    never_started boolean := NEW.status = 'incomplete_expired' OR (TG_OP = 'UPDATE' AND OLD.status = 'incomplete');
    event_type text;
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE publication_id = NEW.publication_id AND disabled_at IS NULL) THEN
      RETURN NULL;
    END IF;
    IF ended AND NOT was_ended AND NOT never_started THEN
      event_type := 'membership.ended';
    ELSIF live AND (TG_OP = 'INSERT' OR OLD.status = 'incomplete') THEN
      event_type := 'membership.started';
    ELSIF TG_OP = 'UPDATE' AND NOT ended AND OLD.status <> 'incomplete'
        AND (NEW.status, NEW.amount, NEW.currency, NEW.interval, NEW.interval_count, NEW.cancel_at_period_end)
          IS DISTINCT FROM (OLD.status, OLD.amount, OLD.currency, OLD.interval, OLD.interval_count, OLD.cancel_at_period_end) THEN
      event_type := 'membership.updated';
    END IF;
    IF event_type IS NOT NULL THEN
      PERFORM favour_webhook_enqueue(NEW.publication_id, event_type, 'membership:' || NEW.subscription_id, favour_webhook_membership_data(NEW));
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER memberships_webhooks AFTER INSERT OR UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION favour_webhook_membership_changed()`,

  `CREATE FUNCTION favour_webhook_supporter_created() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM favour_webhook_enqueue(NEW.publication_id, 'supporter.created', 'supporter:' || NEW.id,
      jsonb_build_object('object', 'supporter', 'id', NEW.id, 'email', NEW.email, 'name', NEW.name, 'created_at', favour_iso(NEW.created_at)));
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER supporters_webhooks AFTER INSERT ON supporters FOR EACH ROW EXECUTE FUNCTION favour_webhook_supporter_created()`,

  `CREATE FUNCTION favour_webhook_reminder_confirmed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.confirmed_at IS NOT NULL AND OLD.confirmed_at IS NULL AND NEW.email IS NOT NULL THEN
      PERFORM favour_webhook_enqueue(NEW.publication_id, 'reminder.confirmed', 'reminder:' || NEW.id,
        jsonb_build_object('object', 'reminder', 'id', NEW.id, 'email', NEW.email, 'article_url', NEW.article_url,
          'after_days', NEW.after_days, 'due_at', favour_iso(NEW.due_at), 'confirmed_at', favour_iso(NEW.confirmed_at),
          'created_at', favour_iso(NEW.created_at)));
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER reminders_webhooks AFTER UPDATE ON reminders FOR EACH ROW EXECUTE FUNCTION favour_webhook_reminder_confirmed()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    'DROP TRIGGER reminders_webhooks ON reminders',
    'DROP TRIGGER supporters_webhooks ON supporters',
    'DROP TRIGGER memberships_webhooks ON memberships',
    'DROP TRIGGER payments_webhooks ON payments',
    'DROP FUNCTION favour_webhook_reminder_confirmed()',
    'DROP FUNCTION favour_webhook_supporter_created()',
    'DROP FUNCTION favour_webhook_membership_changed()',
    'DROP FUNCTION favour_webhook_membership_data(memberships)',
    'DROP FUNCTION favour_webhook_payment_changed()',
    'DROP FUNCTION favour_webhook_payment_data(payments)',
    'DROP FUNCTION favour_webhook_enqueue(integer, text, text, jsonb)',
    'DROP FUNCTION favour_webhook_supporter(bigint)',
    'DROP FUNCTION favour_iso(timestamptz)',
    'DROP TABLE webhook_deliveries',
    'DROP TABLE webhook_messages',
    'DROP TABLE webhook_endpoints',
  ])
    await sql.raw(statement).execute(db);
}
