import type { PublicationRow } from '../db/tables/publication.table.js';
import { formatMoney } from '../money/currency.js';
import { feeCoverOf, widgetSettingsOf } from '../publications/publication.service.js';
import type { GoalProgress } from '../goals/goal.service.js';
import { DEFAULT_COPY, fill, INTL_LOCALE, PAGE_STRINGS } from '../widget/i18n.js';
import type { WidgetGoal, WidgetInterval, WidgetLang, WidgetStrings } from '../widget/widget-config.js';
import { widgetGoal, widgetStrings } from '../widget/widget.service.js';
import { html, page } from './html.js';

export interface DonatePageParams {
  lang: WidgetLang;
  interval: WidgetInterval;
  currency: string;
  articleUrl: string;
  /** The preset to select (the thank-you page's monthly suggestion); else the first. */
  amount?: number | undefined;
  /** Back from a "remind me later" sign-up: say what happens next. */
  reminderAsked?: boolean;
}

/** "€3,120 of €5,000" (or "42 of 100 new members") in the reader's language. */
export function goalProgressText(goal: WidgetGoal, strings: WidgetStrings, locale: string): string {
  const format = (value: number) =>
    goal.currency ? formatMoney(value, goal.currency, locale) : new Intl.NumberFormat(locale).format(value);
  return fill(strings[`goal_progress_${goal.kind}`], { current: format(goal.current), target: format(goal.target) });
}

/** The goal meter without JavaScript or inline styles: a <progress> element is its own bar. */
function goalMeter(goal: WidgetGoal, strings: WidgetStrings, locale: string) {
  const text = goalProgressText(goal, strings, locale);
  return html`<div class="goal${goal.reached ? ' reached' : ''}">
      <p id="goal-label"><strong>${goal.reached ? goal.reached_text : goal.label}</strong></p>
      <progress role="progressbar" max="${goal.target}" value="${Math.min(goal.current, goal.target)}" aria-labelledby="goal-label"
        aria-valuemin="0" aria-valuemax="${goal.target}" aria-valuenow="${goal.current}" aria-valuetext="${text}"></progress>
      <p class="muted" aria-hidden="true">${text}</p>
    </div>`;
}

/**
 * "Cover the fees" without JavaScript: the page cannot know the amount yet, so the label gives the rate ("about 1.5% +
 * €0.25") and the checkout adds the exact amount as its own line.
 */
function feeCoverCheckbox(publication: PublicationRow, currency: string, template: string, locale: string) {
  const rate = feeCoverOf(publication);
  const fixed = rate?.fixed[currency] ?? 0;
  if (!rate || (rate.percent === 0 && fixed === 0)) return '';
  const parts = [
    rate.percent > 0 && new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(rate.percent / 100),
    fixed > 0 && formatMoney(fixed, currency, locale),
  ].filter((part): part is string => !!part);
  return html`<label class="fee-cover"><input type="checkbox" name="cover_fees" value="true" ${rate.default ? html`checked` : ''}>
          <span>${fill(template, { rate: parts.join(' + ') })}</span></label>`;
}

/** "Not now? Remind me in a month" without JavaScript: a form posting to /api/reminders, which comes back here. */
function reminderForm(publication: PublicationRow, p: DonatePageParams, strings: WidgetStrings) {
  if (p.reminderAsked) return html`<p class="card" id="reminder" role="status">${strings.remind_sent}</p>`;
  return html`<form method="post" action="/api/reminders" class="card" id="reminder">
        <input type="hidden" name="publication" value="${publication.slug}">
        <input type="hidden" name="article_url" value="${p.articleUrl}">
        <input type="hidden" name="locale" value="${p.lang}">
        <p><strong>${strings.remind_offer}</strong></p>
        <label class="other">${strings.remind_email}<br>
          <input type="email" name="email" autocomplete="email" required maxlength="254"></label>
        <button type="submit">${strings.remind_button}</button>
      </form>`;
}

/**
 * The hosted donate page: the widget's choices as a plain form posting to /api/checkout, so it works
 * without JavaScript. Interval and currency are links (each shows its own presets).
 */
export function renderDonatePage(publication: PublicationRow, p: DonatePageParams, goal: GoalProgress | null = null): string {
  const strings = widgetStrings(publication, p.lang);
  const meter = widgetGoal(publication, goal, strings, p.lang);
  const pageStrings = PAGE_STRINGS[p.lang];
  const settings = widgetSettingsOf(publication);
  const copy = { ...DEFAULT_COPY[p.lang], ...settings.copy[p.lang] };
  const locale = INTL_LOCALE[p.lang];
  const currency = publication.currencies[p.currency]!;
  const presets = currency.presets[p.interval] ?? [];
  const selected = Math.max(0, p.amount === undefined ? 0 : presets.indexOf(p.amount));
  const link = (change: Partial<Pick<DonatePageParams, 'interval' | 'currency'>>) => {
    const q = new URLSearchParams({ lang: p.lang, interval: p.interval, currency: p.currency, article: p.articleUrl, ...change });
    return `/donate/${publication.slug}?${q}`;
  };
  const suffix = p.interval === 'month' ? strings.per_month : p.interval === 'year' ? strings.per_year : '';

  const body = html`
    <h1>${fill(pageStrings.donate_title, { name: publication.name })}</h1>
    <p>${copy.heading}. ${copy.body}</p>
    <div class="card">
      ${meter ? goalMeter(meter, strings, INTL_LOCALE[p.lang]) : ''}
      <nav aria-label="${strings.interval_legend}"><ul class="tabs">
        ${publication.intervals.map((i) => html`<li><a href="${link({ interval: i })}" ${i === p.interval ? html`aria-current="page"` : ''}>${strings[i]}</a></li>`)}
      </ul></nav>
      ${
        Object.keys(publication.currencies).length > 1
          ? html`<ul class="tabs" aria-label="Currency">${Object.keys(publication.currencies).map((c) => html`<li><a href="${link({ currency: c })}" ${c === p.currency ? html`aria-current="page"` : ''}>${c.toUpperCase()}</a></li>`)}</ul>`
          : ''
      }
      <form method="post" action="/api/checkout">
        <input type="hidden" name="publication" value="${publication.slug}">
        <input type="hidden" name="currency" value="${p.currency}">
        <input type="hidden" name="interval" value="${p.interval}">
        <input type="hidden" name="article_url" value="${p.articleUrl}">
        <input type="hidden" name="locale" value="${p.lang}">
        <fieldset>
          <legend>${strings.amount_legend}</legend>
          <div class="choices">
            ${presets.map(
              (amount, i) =>
                html`<label><input type="radio" name="amount" value="${amount}" ${i === selected ? html`checked` : ''}><span>${formatMoney(amount, p.currency, locale)}${suffix}</span></label>`,
            )}
          </div>
        </fieldset>
        <label class="other">${presets.length ? pageStrings.other_amount_hint : strings.other_amount} (${formatMoney(currency.min, p.currency, locale)}–${formatMoney(currency.max, p.currency, locale)})<br>
          <input type="text" name="other_amount" inputmode="decimal" autocomplete="off"></label>
        ${feeCoverCheckbox(publication, p.currency, pageStrings.fee_cover_rate, locale)}
        <button type="submit">${strings.donate}</button>
        <p class="muted">${strings.secure_note}</p>
      </form>
    </div>
    ${settings.reminder.enabled ? reminderForm(publication, p, strings) : ''}
    <p><a href="${p.articleUrl}">${pageStrings.back_to_article}</a></p>`;
  return page(
    {
      title: fill(pageStrings.donate_title, { name: publication.name }),
      lang: p.lang,
      stylesheet: `/assets/theme/${publication.slug}.css`,
    },
    body,
  );
}
