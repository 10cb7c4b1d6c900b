import { type Kysely, sql } from 'kysely';

// Stripe mirror tables (stripe_*) keep the newest state of each Stripe object we have seen, so the
// domain tables (payments, memberships, supporters) can be derived from them whatever the delivery order.
export async function up(db: Kysely<any>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE publications (
      id              serial PRIMARY KEY,
      slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name            text NOT NULL,
      origins         text[] NOT NULL,
      currencies      jsonb NOT NULL,
      default_currency text NOT NULL,
      intervals       text[] NOT NULL DEFAULT '{once,month,year}',
      default_locale  text NOT NULL DEFAULT 'en',
      time_zone       text NOT NULL DEFAULT 'UTC',
      settings        jsonb NOT NULL DEFAULT '{}',
      created_at      timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE checkout_sessions (
      id                 text PRIMARY KEY,
      publication_id     integer NOT NULL REFERENCES publications(id),
      article_url        text NOT NULL,
      variant            text,
      amount             bigint NOT NULL CHECK (amount > 0),
      currency           text NOT NULL,
      interval           text NOT NULL CHECK (interval IN ('once', 'month', 'year')),
      locale             text,
      status             text NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
      payment_status     text,
      customer_id        text,
      payment_intent_id  text,
      subscription_id    text,
      created_at         timestamptz NOT NULL DEFAULT now(),
      completed_at       timestamptz,
      expired_at         timestamptz
    );
    CREATE INDEX checkout_sessions_publication_created ON checkout_sessions (publication_id, created_at);

    CREATE TABLE stripe_events (
      id              text PRIMARY KEY,
      type            text NOT NULL,
      created         timestamptz NOT NULL,
      livemode        boolean NOT NULL,
      api_version     text,
      payload         jsonb NOT NULL,
      outcome         text NOT NULL,
      publication_id  integer REFERENCES publications(id),
      received_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX stripe_events_type_created ON stripe_events (type, created);

    CREATE TABLE supporters (
      id              bigserial PRIMARY KEY,
      publication_id  integer NOT NULL REFERENCES publications(id),
      email           text NOT NULL,
      name            text,
      created_at      timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now(),
      UNIQUE (publication_id, email)
    );

    CREATE TABLE stripe_customers (
      id              text PRIMARY KEY,
      publication_id  integer REFERENCES publications(id),
      supporter_id    bigint REFERENCES supporters(id),
      email           text,
      name            text,
      snapshot_at     timestamptz NOT NULL,
      name_at         timestamptz
    );
    CREATE INDEX stripe_customers_supporter ON stripe_customers (supporter_id);

    CREATE TABLE payments (
      id                  bigserial PRIMARY KEY,
      source_id           text NOT NULL UNIQUE,
      publication_id      integer NOT NULL REFERENCES publications(id),
      supporter_id        bigint REFERENCES supporters(id),
      customer_id         text,
      kind                text NOT NULL CHECK (kind IN ('one_off', 'membership')),
      amount              bigint NOT NULL CHECK (amount >= 0),
      currency            text NOT NULL,
      base_status         text NOT NULL CHECK (base_status IN ('pending', 'failed', 'succeeded')),
      status              text NOT NULL CHECK (status IN ('pending', 'failed', 'succeeded', 'refunded', 'partially_refunded', 'disputed')),
      refunded_amount     bigint NOT NULL DEFAULT 0,
      dispute_status      text,
      checkout_session_id text,
      payment_intent_id   text,
      invoice_id          text,
      subscription_id     text,
      article_url         text,
      variant             text,
      billing_reason      text,
      created_at          timestamptz NOT NULL,
      paid_at             timestamptz,
      updated_at          timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX payments_publication_paid ON payments (publication_id, paid_at);
    CREATE INDEX payments_payment_intent ON payments (payment_intent_id);
    CREATE INDEX payments_invoice ON payments (invoice_id);
    CREATE INDEX payments_customer ON payments (customer_id);
    CREATE INDEX payments_supporter ON payments (supporter_id);
    CREATE INDEX payments_subscription ON payments (subscription_id);

    CREATE TABLE memberships (
      subscription_id       text PRIMARY KEY,
      publication_id        integer NOT NULL REFERENCES publications(id),
      supporter_id          bigint REFERENCES supporters(id),
      customer_id           text,
      status                text NOT NULL,
      amount                bigint NOT NULL,
      currency              text NOT NULL,
      interval              text NOT NULL,
      interval_count        integer NOT NULL DEFAULT 1,
      current_period_end    timestamptz,
      cancel_at_period_end  boolean NOT NULL DEFAULT false,
      canceled_at           timestamptz,
      ended_at              timestamptz,
      started_at            timestamptz NOT NULL,
      article_url           text,
      variant               text,
      snapshot_at           timestamptz NOT NULL,
      snapshot_rank         integer NOT NULL,
      snapshot_event_id     text NOT NULL,
      updated_at            timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX memberships_publication_status ON memberships (publication_id, status);
    CREATE INDEX memberships_customer ON memberships (customer_id);
    CREATE INDEX memberships_supporter ON memberships (supporter_id);

    CREATE TABLE membership_status_changes (
      event_id         text PRIMARY KEY,
      subscription_id  text NOT NULL,
      publication_id   integer NOT NULL REFERENCES publications(id),
      status           text NOT NULL,
      previous_status  text,
      occurred_at      timestamptz NOT NULL
    );
    CREATE INDEX membership_status_changes_subscription ON membership_status_changes (subscription_id, occurred_at);

    CREATE TABLE stripe_charges (
      id                 text PRIMARY KEY,
      payment_intent_id  text,
      amount             bigint NOT NULL,
      amount_refunded    bigint NOT NULL,
      currency           text NOT NULL,
      created            timestamptz NOT NULL
    );
    CREATE INDEX stripe_charges_payment_intent ON stripe_charges (payment_intent_id);

    CREATE TABLE stripe_disputes (
      id                 text PRIMARY KEY,
      charge_id          text NOT NULL,
      payment_intent_id  text,
      amount             bigint NOT NULL,
      currency           text NOT NULL,
      status             text NOT NULL,
      snapshot_at        timestamptz NOT NULL,
      snapshot_rank      integer NOT NULL
    );
    CREATE INDEX stripe_disputes_payment_intent ON stripe_disputes (payment_intent_id);

    CREATE TABLE stripe_invoice_payments (
      invoice_id         text NOT NULL,
      payment_intent_id  text NOT NULL,
      PRIMARY KEY (invoice_id, payment_intent_id)
    );
  `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE stripe_invoice_payments, stripe_disputes, stripe_charges, membership_status_changes,
      memberships, payments, stripe_customers, supporters, stripe_events, checkout_sessions, publications;
  `,
  );
}

// One statement per query: the embedded database speaks the extended protocol, which takes one at a time.
async function runStatements(db: Kysely<any>, script: string): Promise<void> {
  for (const statement of script.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
