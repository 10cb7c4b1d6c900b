// What each queued e-mail says, composed when it is sent (so an erased supporter or a paid invoice stops it), with
// a fresh sign-in-free link where it carries one.
import type { DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { createManageLink } from '../manage/manage-link.repository.js';
import { findReminder, gaveSince } from '../reminders/reminder.repository.js';
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

export interface ComposedEmail {
  to: string;
  email: RenderedEmail;
  /** Extra headers: List-Unsubscribe and its one-click POST (RFC 8058) on reminder e-mails. */
  headers?: Record<string, string>;
}

/** The message to send for a due row, or why there is none. */
export async function composeEmail(ctx: ComposeContext, due: DueEmail): Promise<ComposedEmail | string> {
  const { db, publication } = ctx;
  const manageLink = async (supporterId: number, customerId: string, validSeconds: number, lang: WidgetLang) => {
    const { token } = await createManageLink(db, { publicationId: publication.id, supporterId, customerId, validSeconds, now: ctx.now });
    return `${ctx.publicUrl}/manage/${publication.slug}/open?token=${token}&lang=${encodeURIComponent(lang)}`;
  };
  const langOf = (locale: string | null | undefined): WidgetLang =>
    resolveLang(locale ?? undefined) ?? resolveLang(publication.default_locale) ?? 'en';

  if (due.kind === 'reminder_confirm' || due.kind === 'reminder') return composeReminder(ctx, due);

  if (due.kind === 'manage_link') {
    const supporter = due.supporter_id === null ? undefined : await supporterFacts(db, due.supporter_id);
    if (!supporter || supporter.erased_at) return 'supporter erased';
    const lang = langOf(String(due.data.lang ?? ''));
    const copy = copyFor(publication, lang);
    const url = await manageLink(due.supporter_id!, String(due.data.customer_id), MANAGE_LINK_SECONDS.requested, lang);
    return {
      to: supporter.email,
      email: letter(ctx, lang, {
        supporterName: supporter.name,
        subject: copy.manage_subject,
        paragraphs: [copy.manage_body],
        button: { label: copy.manage_button, url },
      }),
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
      email: letter(ctx, lang, { supporterName: payment.name, subject: copy.thank_you_subject, paragraphs, button, values: { amount } }),
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
    email: letter(ctx, lang, {
      supporterName: payment.name,
      subject: reminder ? copy.payment_failed_reminder_subject : copy.payment_failed_subject,
      paragraphs: [reminder ? copy.payment_failed_reminder_body : copy.payment_failed_body],
      button: { label: copy.update_card_button, url },
      values: { amount },
    }),
  };
}

function copyFor(publication: PublicationRow, lang: WidgetLang) {
  return { ...EMAIL_COPY[lang], ...emailSettingsOf(publication).copy[lang] };
}

/** The confirmation of a "remind me later" sign-up, or the reminder itself on the due day. */
async function composeReminder(ctx: ComposeContext, due: DueEmail): Promise<ComposedEmail | string> {
  const { db, publication, publicUrl } = ctx;
  const reminder = due.reminder_id === null ? undefined : await findReminder(db, due.reminder_id);
  const token = typeof due.data.token === 'string' ? due.data.token : undefined;
  if (!reminder?.email || !token) return 'address erased or expired';
  if (reminder.unsubscribed_at) return 'unsubscribed';
  const lang = resolveLang(reminder.locale) ?? resolveLang(publication.default_locale) ?? 'en';
  const copy = copyFor(publication, lang);
  const unsubscribe = `${publicUrl}/reminders/unsubscribe?token=${token}`;
  const headers = { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  const values = { days: String(reminder.after_days), unsubscribe };
  const footer = copy.reminder_footer;

  if (due.kind === 'reminder_confirm') {
    if (reminder.confirmed_at) return 'confirmed already';
    const button = { label: copy.reminder_confirm_button, url: `${publicUrl}/reminders/confirm?token=${token}` };
    const email = letter(ctx, lang, {
      supporterName: null,
      subject: copy.reminder_confirm_subject,
      paragraphs: [copy.reminder_confirm_body],
      button,
      values,
      footer,
    });
    return { to: reminder.email, email, headers };
  }
  if (await gaveSince(db, reminder)) return 'gave since signing up';
  const donate = new URL(`${publicUrl}/donate/${publication.slug}`);
  donate.searchParams.set('lang', lang);
  if (reminder.article_url) donate.searchParams.set('article', reminder.article_url);
  const email = letter(ctx, lang, {
    supporterName: null,
    subject: copy.reminder_subject,
    paragraphs: [copy.reminder_body],
    button: { label: fill(copy.reminder_button, { name: publication.name }), url: donate.href },
    values,
    footer,
  });
  return { to: reminder.email, email, headers };
}

interface LetterContent {
  supporterName: string | null;
  subject: string;
  paragraphs: string[];
  button?: Letter['button'];
  /** Placeholders beyond the publication's name, the supporter's first name and the manage page. */
  values?: Record<string, string>;
  /** In place of the publication's usual footer. */
  footer?: string;
}

/** A letter from the publication: its greeting, signature and footer around the paragraphs, placeholders filled. */
function letter(ctx: ComposeContext, lang: WidgetLang, content: LetterContent): RenderedEmail {
  const { publication } = ctx;
  const copy = copyFor(publication, lang);
  const firstName = content.supporterName?.trim().split(/\s+/)[0];
  const all = {
    name: publication.name,
    supporter: firstName ?? '',
    manage_page: `${ctx.publicUrl}/manage/${publication.slug}`,
    ...content.values,
  };
  return renderLetter({
    lang,
    subject: fill(content.subject, all),
    paragraphs: [fill(firstName ? copy.greeting : copy.greeting_anonymous, all), ...content.paragraphs.map((p) => fill(p, all))],
    button: content.button,
    signature: fill(copy.signature, all),
    footer: fill(content.footer ?? copy.footer, all),
  });
}
