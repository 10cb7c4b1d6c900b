import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';

/** Empties every data table but publications, so one database can serve many test cases. */
export async function resetData(db: Db): Promise<void> {
  await sql`TRUNCATE stripe_events, checkout_sessions, payments, memberships, membership_status_changes, widget_prompt_counters,
    stripe_customers, supporters, stripe_charges, stripe_disputes, stripe_invoice_payments, widget_daily_counters,
    payment_daily_totals, article_daily_totals, supporter_totals, widget_daily_totals, article_monthly_totals,
    variant_daily_totals, article_monthly_funnel, variant_daily_funnel, api_keys, reconcile_runs, outbound_emails, reminders RESTART IDENTITY CASCADE`.execute(
    db,
  );
}
