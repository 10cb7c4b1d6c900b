// What each queued e-mail says, composed when it is sent (so an erased supporter or a paid invoice stops it), with
// a fresh sign-in-free link where it carries one.
import type { DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { createManageLink } from '../manage/manage-link.repository.js';
import { formatMoney } from '../money/currency.js';
import { emailSettingsOf } from '../publications/publication.service.js';
import { fill, INTL_LOCALE, resolveLang, WIDGET_STRINGS } from '../widget/i18n.js';
import type { WidgetLang } from '../widget/widget-config.js';
import { EMAIL_COPY } from './email-copy.js';
import { type DueEmail, paymentFacts, supporterFacts } from './email-outbox.repository.js';
import { type Letter, type RenderedEmail, renderLetter } from './letter.js';

/** How long a link works: asked for on the manage page, and carried by a thank-you or a failed-payment e-mail. */
export const MANAGE_LINK_SECONDS = { requested: 30 * 60, emailed: 7 * 86_400 } as const;

export interface ComposeContext {
  db: DbExecutor;
  publication: PublicationRow;
  publicUrl: string;
  now: Date;
}

/** The message to send for a due row, or why there is none. */
export async function composeEmail(ctx: ComposeContext, due: DueEmail): Promise<{ to: string; email: RenderedEmail } | string> {
  const { db, publication } = ctx;
  const manageLink = async (supporterId: number, customerId: string, validSeconds: number, lang: WidgetLang) => {
    const { token } = await createManageLink(db, { publicationId: publication.id, supporterId, customerId, validSeconds, now: ctx.now });
    return `${ctx.publicUrl}/manage/${publication.slug}/open?token=${token}&lang=${encodeURIComponent(lang)}`;
  };
  const langOf = (locale: string | null | undefined): WidgetLang =>
    resolveLang(locale ?? undefined) ?? resolveLang(publication.default_locale) ?? 'en';

  if (due.kind === 'manage_link') {
    const supporter = due.supporter_id === null ? undefined : await supporterFacts(db, due.supporter_id);
    if (!supporter || supporter.erased_at) return 'supporter erased';
    const lang = langOf(String(due.data.lang ?? ''));
    const copy = copyFor(publication, lang);
    const url = await manageLink(due.supporter_id!, String(due.data.customer_id), MANAGE_LINK_SECONDS.requested, lang);
    return {
      to: supporter.email,
      email: letter(publication, lang, supporter.name, copy.manage_subject, [copy.manage_body], { label: copy.manage_button, url }),
    };
  }

  const payment = await paymentFacts(db, Number(due.data.payment_id));
  if (!payment) return 'payment or supporter gone';
  if (payment.erased_at) return 'supporter erased';
  const lang = langOf(payment.locale);
  const copy = copyFor(publication, lang);
  const strings = WIDGET_STRINGS[lang];
  const interval = payment.kind === 'one_off' ? 'once' : payment.interval === 'year' ? 'year' : 'month';
  const per = interval === 'month' ? strings.per_month : interval === 'year' ? strings.per_year : '';
  const amount = formatMoney(payment.amount, payment.currency, INTL_LOCALE[lang]) + per;

  if (due.kind === 'thank_you') {
    const member = interval !== 'once' && payment.customer_id !== null;
    const paragraphs = [copy.thank_you_body, ...(member ? [copy.thank_you_member_note, copy.thank_you_manage] : [])];
    const button = member
      ? { label: copy.manage_button, url: await manageLink(payment.supporter_id, payment.customer_id!, MANAGE_LINK_SECONDS.emailed, lang) }
      : undefined;
    return {
      to: payment.email,
      email: letter(publication, lang, payment.name, copy.thank_you_subject, paragraphs, button, { amount }, ctx.publicUrl),
    };
  }

  // A failed membership payment and its reminder: not once the invoice is paid or the membership is over.
  if (payment.base_status === 'succeeded') return 'paid since';
  if (payment.membership_status === 'canceled' || payment.membership_status === 'incomplete_expired') return 'membership ended';
  if (!payment.customer_id) return 'no Stripe customer';
  const reminder = due.kind === 'payment_failed_reminder';
  const url = await manageLink(payment.supporter_id, payment.customer_id, MANAGE_LINK_SECONDS.emailed, lang);
  return {
    to: payment.email,
    email: letter(
      publication,
      lang,
      payment.name,
      reminder ? copy.payment_failed_reminder_subject : copy.payment_failed_subject,
      [reminder ? copy.payment_failed_reminder_body : copy.payment_failed_body],
      { label: copy.update_card_button, url },
      { amount },
    ),
  };
}

function copyFor(publication: PublicationRow, lang: WidgetLang) {
  return { ...EMAIL_COPY[lang], ...emailSettingsOf(publication).copy[lang] };
}

/** A letter from the publication: its greeting, signature and footer around the paragraphs, placeholders filled. */
function letter(
  publication: PublicationRow,
  lang: WidgetLang,
  supporterName: string | null,
  subject: string,
  paragraphs: string[],
  button?: Letter['button'],
  values: Record<string, string> = {},
  publicUrl = '',
): RenderedEmail {
  const copy = copyFor(publication, lang);
  const firstName = supporterName?.trim().split(/\s+/)[0];
  const all = {
    name: publication.name,
    supporter: firstName ?? '',
    manage_page: `${publicUrl}/manage/${publication.slug}`,
    ...values,
  };
  return renderLetter({
    lang,
    subject: fill(subject, all),
    paragraphs: [fill(firstName ? copy.greeting : copy.greeting_anonymous, all), ...paragraphs.map((p) => fill(p, all))],
    button,
    signature: fill(copy.signature, all),
    footer: fill(copy.footer, all),
  });
}
