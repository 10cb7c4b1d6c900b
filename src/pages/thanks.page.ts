import type { PublicationRow } from '../db/tables/publication.table.js';
import { formatMoney } from '../money/currency.js';
import { fill, INTL_LOCALE, PAGE_STRINGS, WIDGET_STRINGS } from '../widget/i18n.js';
import { widgetSettingsOf } from '../publications/publication.service.js';
import { suggestMonthly } from '../widget/monthly-suggestion.js';
import type { WidgetLang } from '../widget/widget-config.js';
import { html, page } from './html.js';

/** What the thank-you page knows about the checkout that brought the reader here. */
export interface CompletedCheckout {
  sessionId: string;
  amount: number;
  currency: string;
  interval: 'once' | 'month' | 'year';
  paid: boolean;
  articleUrl: string;
  /** Unix seconds until which the widget should thank instead of ask. */
  supporterUntil: number;
  canManage: boolean;
}

export function renderThanksPage(
  publication: PublicationRow | undefined,
  checkout: CompletedCheckout | undefined,
  lang: WidgetLang,
): string {
  const s = PAGE_STRINGS[lang];
  const w = WIDGET_STRINGS[lang];
  const name = publication?.name ?? '';
  if (!publication || !checkout) {
    return page({ title: s.thanks_title, lang }, html`<h1>${s.thanks_title}</h1><p>${fill(s.thanks_unknown, { name: name || '…' })}</p>`);
  }
  const amount = formatMoney(checkout.amount, checkout.currency, INTL_LOCALE[lang]);
  const period = checkout.interval === 'month' ? w.per_month : checkout.interval === 'year' ? w.per_year : '';
  const message = !checkout.paid
    ? fill(s.thanks_pending, { amount, name })
    : checkout.interval === 'once'
      ? fill(s.thanks_once, { amount, name })
      : fill(s.thanks_member, { amount, name, period });
  const offer = checkout.paid && checkout.interval === 'once' ? memberOffer(publication, checkout, lang) : '';
  const back = new URL(checkout.articleUrl);
  back.searchParams.set('favour', 'thanks');
  back.searchParams.set('favour-until', String(checkout.supporterUntil));
  back.searchParams.set('favour-publication', publication.slug);
  const body = html`
    <h1>${s.thanks_title}</h1>
    <div class="card">
      <p>${message}</p>
      <p class="muted">${s.receipt_note}</p>
      <p><a href="${back.href}">${s.back_to_article}</a></p>
      ${
        checkout.canManage
          ? html`<form method="post" action="/billing-portal"><input type="hidden" name="session_id" value="${checkout.sessionId}"><button type="submit">${s.manage_membership}</button></form>`
          : ''
      }
    </div>
    ${offer}`;
  return page({ title: s.thanks_title, lang, stylesheet: `/assets/theme/${publication.slug}.css` }, body);
}

/** After a one-off gift, where the publication has members and its widget.upsell is on: an offer to give monthly, one link. */
function memberOffer(publication: PublicationRow, checkout: CompletedCheckout, lang: WidgetLang) {
  const { upsell } = widgetSettingsOf(publication);
  if (!upsell.enabled || !publication.intervals.includes('month')) return '';
  const monthly = suggestMonthly(checkout.amount, publication.currencies[checkout.currency]?.presets.month, upsell.fraction);
  if (monthly === undefined) return '';
  const s = PAGE_STRINGS[lang];
  const values = { monthly: formatMoney(monthly, checkout.currency, INTL_LOCALE[lang]), name: publication.name };
  const donate = new URLSearchParams({
    lang,
    interval: 'month',
    currency: checkout.currency,
    amount: String(monthly),
    article: checkout.articleUrl,
  });
  return html`<section class="card" aria-labelledby="member-offer">
      <h2 id="member-offer">${s.member_offer_heading}</h2>
      <p>${fill(s.member_offer_body, values)}</p>
      <p><a href="/donate/${publication.slug}?${donate}">${fill(s.member_offer_link, values)}</a></p>
    </section>`;
}

export function renderMessagePage(title: string, message: string, lang: WidgetLang, status?: string): string {
  return page({ title, lang }, html`<h1>${title}</h1><p>${message}</p>${status ? html`<p class="muted">${status}</p>` : ''}`);
}
