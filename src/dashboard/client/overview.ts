// Headline numbers (per currency, never added across currencies) and the funnel.
import { byId, countEl, h, moneyEl, rateEl } from './dom.js';
import { currencyName, formatCount, formatMoney } from './format.js';
import type { GoalProgress } from '../../goals/goal.service.js';
import type { CurrencySummary, Summary } from '../../reports/report-types.js';

/** Currencies in a stable order: the one with the most gross first, then by code. */
export function currencyOrder(currencies: Record<string, CurrencySummary>): string[] {
  return Object.keys(currencies).sort((a, b) => currencies[b]!.gross - currencies[a]!.gross || a.localeCompare(b));
}

function stat(label: string, value: HTMLElement, note?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', null, label), h('dd', null, value, note ? h('span', { class: 'stat-note' }, note) : null));
}

export function renderOverview(summary: Summary, locale: string | undefined): void {
  byId('totals').replaceChildren(
    h(
      'dl',
      { class: 'stats stats-totals' },
      stat('New supporters', countEl({ metric: 'new_supporters', value: summary.new_supporters, tag: 'strong' }, locale)),
      stat(
        'Active members',
        countEl({ metric: 'active_members', value: summary.active_members, tag: 'strong' }, locale),
        'at the end of the range',
      ),
      stat('Churned members', countEl({ metric: 'churned_members', value: summary.churned_members, tag: 'strong' }, locale)),
      stat('One-off payments', countEl({ metric: 'one_off', value: summary.one_off, tag: 'strong' }, locale)),
      stat('Recurring payments', countEl({ metric: 'recurring', value: summary.recurring, tag: 'strong' }, locale)),
    ),
  );

  const cards = currencyOrder(summary.currencies).map((currency) => {
    const c = summary.currencies[currency]!;
    const money = (metric: keyof CurrencySummary) => moneyEl({ metric, currency, value: c[metric] }, locale);
    const count = (metric: keyof CurrencySummary) => countEl({ metric, currency, value: c[metric] }, locale);
    const code = currency.toUpperCase();
    return h(
      'article',
      { class: 'currency-card', 'data-currency-card': currency, 'aria-labelledby': `cur-${currency}` },
      h(
        'h3',
        { id: `cur-${currency}` },
        h('span', { class: 'code' }, code),
        ' ',
        h('span', { class: 'muted' }, currencyName(currency, locale)),
      ),
      h(
        'p',
        { class: 'headline' },
        h('span', { class: 'headline-label' }, 'Net revenue'),
        moneyEl({ metric: 'net', currency, value: c.net, tag: 'strong', attrs: { class: 'num headline-value' } }, locale),
      ),
      h(
        'dl',
        { class: 'stats stats-card' },
        stat('Gross', money('gross')),
        stat('Refunded', money('refunded')),
        stat('Disputed', money('disputed')),
        stat('Average gift', money('average_gift')),
        stat('MRR', money('mrr')),
        stat('Fees covered', moneyEl({ metric: 'fees_covered', currency, value: summary.fees_covered[currency] ?? 0 }, locale)),
        stat('Active members', count('active_members')),
        stat('Payments', count('payments')),
        stat(
          'One-off · recurring',
          h(
            'span',
            { class: 'pair' },
            count('one_off'),
            h('span', { 'aria-hidden': 'true', class: 'muted' }, ' · '),
            h('span', { class: 'sr-only' }, ' one-off, '),
            count('recurring'),
            h('span', { class: 'sr-only' }, ' recurring'),
          ),
        ),
      ),
    );
  });
  byId('currency-cards').replaceChildren(
    ...(cards.length ? cards : [h('p', { class: 'empty' }, 'This publication accepts no currency yet.')]),
  );
}

const STEPS = [
  { key: 'impressions', label: 'Impressions', help: 'Appeals seen' },
  { key: 'clicks', label: 'Clicks', help: 'On the donate button' },
  { key: 'checkouts', label: 'Checkouts', help: 'Started on Stripe' },
  { key: 'paid', label: 'Paid', help: 'Completed payments' },
] as const;
const RATES = [
  null,
  { key: 'click_rate', label: 'click rate' },
  { key: 'checkout_rate', label: 'of clicks' },
  { key: 'payment_rate', label: 'of checkouts' },
] as const;

export function renderFunnel(summary: Summary, locale: string | undefined): void {
  const f = summary.funnel;
  const top = Math.max(f.impressions, f.clicks, f.checkouts, f.paid, 1);
  byId('funnel-steps').replaceChildren(
    ...STEPS.map((step, i) => {
      const rate = RATES[i];
      const bar = h('span', { class: 'funnel-bar-fill' });
      // CSSOM, not a style attribute: allowed under style-src 'self'.
      bar.style.width = `${Math.max((f[step.key] / top) * 100, f[step.key] > 0 ? 1.5 : 0)}%`;
      return h(
        'li',
        { class: 'funnel-step', 'data-step': step.key },
        h('span', { class: 'funnel-label' }, step.label, h('span', { class: 'hint' }, step.help)),
        countEl({ metric: step.key, value: f[step.key], tag: 'strong', attrs: { class: 'num funnel-value' } }, locale),
        h('span', { class: 'funnel-bar', 'aria-hidden': 'true' }, bar),
        rate
          ? h('span', { class: 'funnel-rate' }, rateEl({ metric: rate.key, value: f[rate.key] }, locale), ` ${rate.label}`)
          : h('span', { class: 'funnel-rate' }, ' '),
      );
    }),
  );
  byId('funnel-note').replaceChildren(
    'Overall conversion, impressions to payments: ',
    rateEl({ metric: 'conversion_rate', value: f.conversion_rate, tag: 'strong' }, locale),
    '. Checkouts also come from the donate page, so they can outnumber clicks.',
  );
}

/** "Remind me later": sign-ups in the range, then confirmed, reminded, and paid within 14 days of the reminder. */
export function renderReminderFunnel(summary: Summary, locale: string | undefined): void {
  const r = summary.reminders;
  const count = (metric: 'asked' | 'confirmed' | 'sent' | 'converted', label: string) => [
    countEl({ metric: `reminders_${metric}`, value: r[metric], tag: 'strong' }, locale),
    ` ${label}`,
  ];
  byId('reminder-funnel').replaceChildren(
    ...count('asked', 'asked, '),
    ...count('confirmed', 'confirmed, '),
    ...count('sent', 'reminded, '),
    ...count('converted', 'gave within 14 days of the reminder ('),
    rateEl({ metric: 'reminders_conversion_rate', value: r.conversion_rate }, locale),
    ' of those reminded).',
  );
}

/** The goal meter as readers see it (GET /api/reports/goal), or nothing when no goal is running. */
export function renderGoal(goal: GoalProgress | null, locale: string | undefined): void {
  const box = byId('goal');
  if (!goal) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  const format = (value: number) => (goal.currency ? formatMoney(value, goal.currency, locale) : formatCount(value, locale));
  const unit = goal.kind === 'amount' ? '' : goal.kind === 'members' ? ' new members' : ' new supporters';
  const text = `${format(goal.current)} of ${format(goal.target)}${unit}`;
  const fill = h('span', { class: 'funnel-bar-fill' });
  fill.style.width = `${Math.min(100, (goal.current / goal.target) * 100)}%`;
  const period = goal.period === 'month' ? 'This month' : 'Campaign';
  box.hidden = false;
  box.replaceChildren(
    h(
      'p',
      { id: 'goal-label', class: 'goal-label' },
      `${period}'s goal, ${goal.period_start} to ${goal.period_end}`,
      goal.reached ? ': reached' : '',
    ),
    h(
      'div',
      {
        class: 'funnel-bar goal-bar',
        role: 'progressbar',
        'aria-labelledby': 'goal-label',
        'aria-valuemin': 0,
        'aria-valuemax': goal.target,
        'aria-valuenow': goal.current,
        'aria-valuetext': text,
      },
      fill,
    ),
    h('p', { class: 'goal-text num', 'aria-hidden': 'true' }, text),
  );
}
