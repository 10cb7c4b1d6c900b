// The articles and variants tables, and the data tables behind the charts.
import { countEl, h, moneyEl, moneyList, rateEl, table } from './dom.js';
import { formatDay } from './format.js';
import type { ArticlesReport, BreakdownRow } from '../../reports/report-types.js';

const FUNNEL_COLUMNS = [
  { label: 'Impressions', numeric: true },
  { label: 'Clicks', numeric: true },
  { label: 'Checkouts', numeric: true },
  { label: 'Paid', numeric: true },
];
/** "Make it monthly": offered after a one-off Donate, taken, and the share taken. */
const UPSELL_COLUMNS = [
  { label: 'Monthly offered', numeric: true },
  { label: 'Monthly taken', numeric: true },
  { label: 'Take-up', numeric: true },
];
/** "Cover the fees": what readers added, and the share of payments that did. */
const FEE_COVER_COLUMNS = [
  { label: 'Fees covered', numeric: true },
  { label: 'Fee cover take-up', numeric: true },
];

function breakdownCells(r: BreakdownRow, locale: string | undefined, withClickRate: boolean): HTMLTableCellElement[] {
  const count = (metric: 'impressions' | 'clicks' | 'checkouts' | 'paid' | 'upsell_shown' | 'upsell_accepted') =>
    h('td', { class: 'n' }, countEl({ metric, value: r[metric] }, locale));
  return [
    count('impressions'),
    count('clicks'),
    ...(withClickRate ? [h('td', { class: 'n' }, rateEl({ metric: 'click_rate', value: r.click_rate }, locale))] : []),
    count('checkouts'),
    count('paid'),
    count('upsell_shown'),
    count('upsell_accepted'),
    h('td', { class: 'n' }, rateEl({ metric: 'upsell_rate', value: r.upsell_rate }, locale)),
    h('td', { class: 'n' }, moneyList('fees_covered', r.fees_covered, locale)),
    h('td', { class: 'n' }, rateEl({ metric: 'fee_cover_rate', value: r.fee_cover_rate }, locale)),
    h('td', { class: 'n' }, moneyList('net', r.net, locale)),
    h('td', { class: 'n' }, rateEl({ metric: 'conversion_rate', value: r.conversion_rate }, locale)),
    h('td', { class: 'n' }, moneyList('revenue_per_1000_impressions', r.revenue_per_1000_impressions, locale)),
  ];
}

/** "news.example/2026/city-hall" for people; the link keeps the whole URL (web pages only). */
function articleLink(url: string): HTMLElement {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: shown as text below.
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return h('span', { class: 'url' }, url);
  const text = `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
  return h(
    'a',
    { href: url, rel: 'noopener noreferrer', target: '_blank', class: 'url' },
    text,
    h('span', { class: 'sr-only' }, ' (opens in a new tab)'),
  );
}

export function articlesTable(report: ArticlesReport, locale: string | undefined): HTMLTableElement {
  const rows = report.articles.map((a) =>
    h(
      'tr',
      { 'data-article-url': a.article_url },
      h('th', { scope: 'row', class: 'url-cell' }, articleLink(a.article_url)),
      breakdownCells(a, locale, false),
    ),
  );
  const shown =
    report.articles.length < report.total_articles
      ? `the top ${report.articles.length} of ${report.total_articles}`
      : `${report.total_articles}`;
  return table(
    `Articles with appeals or payments in the range: ${shown}`,
    [
      { label: 'Article' },
      ...FUNNEL_COLUMNS,
      ...UPSELL_COLUMNS,
      ...FEE_COVER_COLUMNS,
      { label: 'Net revenue', numeric: true },
      { label: 'Conversion', numeric: true },
      { label: 'Net per 1,000 impressions', numeric: true },
    ],
    rows,
    'No article had an appeal seen or a payment in this range.',
  );
}

export function variantsTable(report: ArticlesReport, locale: string | undefined): HTMLTableElement {
  const rows = report.variants.map((v) =>
    h(
      'tr',
      { 'data-variant': v.variant ?? '' },
      h('th', { scope: 'row' }, v.variant ?? h('span', { class: 'muted' }, 'No variant')),
      breakdownCells(v, locale, true),
    ),
  );
  return table(
    'Appeal copy variants compared',
    [
      { label: 'Variant' },
      { label: 'Impressions', numeric: true },
      { label: 'Clicks', numeric: true },
      { label: 'Click rate', numeric: true },
      { label: 'Checkouts', numeric: true },
      { label: 'Paid', numeric: true },
      ...UPSELL_COLUMNS,
      ...FEE_COVER_COLUMNS,
      { label: 'Net revenue', numeric: true },
      { label: 'Conversion', numeric: true },
      { label: 'Net per 1,000 impressions', numeric: true },
    ],
    rows,
    'No appeal was seen and nothing was paid in this range.',
  );
}

export interface SeriesTable {
  caption: string;
  periods: string[];
  monthly: boolean;
  columns: { label: string; metric: string; currency?: string; values: number[] }[];
}

/** The numbers behind a chart, for people who cannot see it (and for checking it). */
export function seriesTable(spec: SeriesTable, locale: string | undefined): HTMLTableElement {
  const rows = spec.periods.map((period, i) =>
    h(
      'tr',
      { 'data-period': period },
      h('th', { scope: 'row' }, formatDay(period, locale, spec.monthly ? 'month' : 'medium')),
      spec.columns.map((c) =>
        h(
          'td',
          { class: 'n' },
          c.currency
            ? moneyEl({ metric: c.metric, currency: c.currency, value: c.values[i] ?? 0 }, locale)
            : countEl({ metric: c.metric, value: c.values[i] ?? 0 }, locale),
        ),
      ),
    ),
  );
  return table(
    spec.caption,
    [{ label: spec.monthly ? 'Month' : 'Period from' }, ...spec.columns.map((c) => ({ label: c.label, numeric: true }))],
    rows,
    'No data.',
  );
}
