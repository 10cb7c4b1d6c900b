// A tiny DOM toolkit: elements from attributes and children (text is always text, never HTML), and
// number elements that carry what they show (data-metric, data-currency, data-value = the API's raw value).
import { formatCount, formatMoney, formatRate } from './format.js';

export type Kid = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...kids: (Kid | Kid[])[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') e.className = String(value);
    else e.setAttribute(name, value === true ? '' : String(value));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(typeof kid === 'number' ? String(kid) : kid);
  }
  return e;
}

/** The element with this id; the shell (src/dashboard/dashboard.page.ts) always has it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e as T;
}

interface Tagged {
  metric: string;
  currency?: string | undefined;
  /** The value as the API sent it. */
  value: number | string | null;
  tag?: 'span' | 'strong' | 'td' | 'dd';
  attrs?: Attrs;
}

/** An element showing a formatted number, tagged with what it is and the API's raw value. */
function tagged(t: Tagged, text: string): HTMLElement {
  return h(
    t.tag ?? 'span',
    {
      'data-metric': t.metric,
      'data-currency': t.currency,
      'data-value': t.value === null ? '' : String(t.value),
      class: 'num',
      ...t.attrs,
    },
    text,
  );
}

export const moneyEl = (t: Tagged & { currency: string; value: number }, locale?: string): HTMLElement =>
  tagged(t, formatMoney(t.value, t.currency, locale));
export const countEl = (t: Tagged & { value: number }, locale?: string): HTMLElement => tagged(t, formatCount(t.value, locale));
export const rateEl = (t: Tagged & { value: number | null }, locale?: string): HTMLElement => tagged(t, formatRate(t.value, locale));

/** A table with a caption and column headers (scope=col); rows bring their own th scope=row. */
export function table(
  caption: string,
  columns: { label: string; numeric?: boolean }[],
  rows: HTMLTableRowElement[],
  emptyText: string,
): HTMLTableElement {
  const body = rows.length
    ? h('tbody', null, rows)
    : h('tbody', null, h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, emptyText)));
  return h(
    'table',
    { class: 'data' },
    h('caption', null, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'n' : null }, c.label)),
      ),
    ),
    body,
  );
}

/**
 * Several per-currency amounts in one cell, one per line, each tagged. Null amounts (nothing to divide
 * by) keep an empty tagged element, so the cell still names every currency the API sent; when all are
 * null the cell shows a single dash.
 */
export function moneyList(metric: string, amounts: Record<string, number | null>, locale: string | undefined): HTMLElement {
  const entries = Object.entries(amounts).sort(([a], [b]) => a.localeCompare(b));
  const shown = entries.filter(([, value]) => value !== null);
  return h(
    'span',
    { class: 'stack' },
    entries.map(([currency, value]) =>
      value === null
        ? h('span', { 'data-metric': metric, 'data-currency': currency, 'data-value': '', hidden: true })
        : moneyEl({ metric, currency, value }, locale),
    ),
    shown.length ? null : h('span', { class: 'muted', title: entries.length ? 'No impressions to divide by' : 'Nothing paid' }, '—'),
  );
}
