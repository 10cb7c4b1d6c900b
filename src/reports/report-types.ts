// Shapes of the reports API's JSON shared with the dashboard's browser code (src/dashboard/client),
// so both sides change together. No imports: the dashboard type-checks this file with the DOM library.

/** One currency's figures in GET /api/reports/summary; money in integer minor units. */
export interface CurrencySummary {
  gross: number;
  refunded: number;
  disputed: number;
  net: number;
  payments: number;
  one_off: number;
  recurring: number;
  average_gift: number;
  mrr: number;
  active_members: number;
}
