// The thank-you after a supporter's first payment, in the language of the checkout, signed by the editor.
import { formatMoney } from '../money/currency.js';
import { escapeHtml } from '../pages/html.js';
import { fill, INTL_LOCALE, WIDGET_STRINGS } from '../widget/i18n.js';
import type { WidgetLang } from '../widget/widget-config.js';
import { EMAIL_COPY, type EmailCopy } from './email-copy.js';

export interface ThankYouFacts {
  lang: WidgetLang;
  publicationName: string;
  supporterName: string | null;
  amount: number;
  currency: string;
  interval: 'once' | 'month' | 'year';
  /** The publication's overrides in this language. */
  copy: Partial<EmailCopy>;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Plain text and the same as simple HTML (paragraphs only: it reads the same in every mail program). */
export function renderThankYou(facts: ThankYouFacts): RenderedEmail {
  const copy = { ...EMAIL_COPY[facts.lang], ...facts.copy };
  const strings = WIDGET_STRINGS[facts.lang];
  const money = formatMoney(facts.amount, facts.currency, INTL_LOCALE[facts.lang]);
  const per = facts.interval === 'month' ? strings.per_month : facts.interval === 'year' ? strings.per_year : '';
  const firstName = facts.supporterName?.trim().split(/\s+/)[0];
  const values = { name: facts.publicationName, amount: money + per, supporter: firstName ?? '' };
  const paragraphs = [
    fill(firstName ? copy.greeting : copy.greeting_anonymous, values),
    ...fill(copy.thank_you_body, values).split(/\n\s*\n/),
    ...(facts.interval === 'once' ? [] : [fill(copy.thank_you_member_note, values)]),
    fill(copy.signature, values),
  ].map((p) => p.trim());
  const footer = fill(copy.footer, values);
  return {
    subject: fill(copy.thank_you_subject, values),
    text: `${paragraphs.join('\n\n')}\n\n--\n${footer}\n`,
    html:
      `<!doctype html><html lang="${facts.lang}"><body style="font-family: Georgia, serif; font-size: 16px; line-height: 1.5; color: #1c1c1e;">` +
      paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('') +
      `<hr style="border: 0; border-top: 1px solid #ddd;"><p style="font-size: 13px; color: #555;">${escapeHtml(footer)}</p></body></html>`,
  };
}
