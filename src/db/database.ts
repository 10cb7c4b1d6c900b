import type { Kysely, Transaction } from 'kysely';
import type { ApiKeyTable } from './tables/api-key.table.js';
import type { CheckoutSessionTable } from './tables/checkout-session.table.js';
import type { MembershipStatusChangeTable, MembershipTable } from './tables/membership.table.js';
import type { ReminderTable } from './tables/reminder.table.js';
import type { WebhookDeliveryTable, WebhookEndpointTable, WebhookMessageTable } from './tables/webhook-endpoint.table.js';
import type { ManageLinkTable } from './tables/manage-link.table.js';
import type { OutboundEmailTable } from './tables/outbound-email.table.js';
import type { PaymentTable } from './tables/payment.table.js';
import type { PublicationTable } from './tables/publication.table.js';
import type {
  ArticleDailyTotalsTable,
  ArticleMonthlyFunnelTable,
  ArticleMonthlyTotalsTable,
  PaymentDailyTotalsTable,
  SupporterTotalsTable,
  VariantDailyFunnelTable,
  VariantDailyTotalsTable,
  WidgetDailyTotalsTable,
} from './tables/report-rollup.table.js';
import type {
  StripeChargeTable,
  StripeCustomerTable,
  StripeDisputeTable,
  StripeEventTable,
  StripeInvoicePaymentTable,
} from './tables/stripe-mirror.table.js';
import type { ReconcileRunTable } from './tables/reconcile-run.table.js';
import type { SupporterTable } from './tables/supporter.table.js';
import type { WidgetDailyCounterTable, WidgetPromptCounterTable } from './tables/widget-counter.table.js';

/** The typed schema Kysely checks every query against; mirrors migrations/. */
export interface Database {
  publications: PublicationTable;
  checkout_sessions: CheckoutSessionTable;
  stripe_events: StripeEventTable;
  supporters: SupporterTable;
  stripe_customers: StripeCustomerTable;
  payments: PaymentTable;
  memberships: MembershipTable;
  membership_status_changes: MembershipStatusChangeTable;
  stripe_charges: StripeChargeTable;
  stripe_disputes: StripeDisputeTable;
  stripe_invoice_payments: StripeInvoicePaymentTable;
  widget_daily_counters: WidgetDailyCounterTable;
  widget_prompt_counters: WidgetPromptCounterTable;
  outbound_emails: OutboundEmailTable;
  manage_links: ManageLinkTable;
  reminders: ReminderTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_messages: WebhookMessageTable;
  webhook_deliveries: WebhookDeliveryTable;
  api_keys: ApiKeyTable;
  payment_daily_totals: PaymentDailyTotalsTable;
  article_daily_totals: ArticleDailyTotalsTable;
  supporter_totals: SupporterTotalsTable;
  widget_daily_totals: WidgetDailyTotalsTable;
  article_monthly_totals: ArticleMonthlyTotalsTable;
  variant_daily_totals: VariantDailyTotalsTable;
  article_monthly_funnel: ArticleMonthlyFunnelTable;
  variant_daily_funnel: VariantDailyFunnelTable;
  reconcile_runs: ReconcileRunTable;
}

export type Db = Kysely<Database>;
/** A database handle or an open transaction: repositories accept either. */
export type DbExecutor = Kysely<Database> | Transaction<Database>;
