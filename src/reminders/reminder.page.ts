// The pages a reminder's links open: the confirmation (with a way to cancel) and the unsubscribe button.
import type { PublicationRow } from '../db/tables/publication.table.js';
import { html, page } from '../pages/html.js';
import { fill, INTL_LOCALE, PAGE_STRINGS } from '../widget/i18n.js';
import type { WidgetLang } from '../widget/widget-config.js';

const stylesheetOf = (publication: PublicationRow) => `/assets/theme/${publication.slug}.css`;

/** After the confirmation link: when the reminder comes, and a button to call it off. */
export function renderReminderConfirmedPage(publication: PublicationRow, lang: WidgetLang, dueAt: Date, token: string): string {
  const s = PAGE_STRINGS[lang];
  const title = fill(s.reminder_title, { name: publication.name });
  const date = new Intl.DateTimeFormat(INTL_LOCALE[lang], { dateStyle: 'long', timeZone: publication.time_zone }).format(dueAt);
  const body = html`<h1>${title}</h1>
    <p role="status">${fill(s.reminder_confirmed, { date, name: publication.name })}</p>
    <form method="post" action="/reminders/unsubscribe" class="card">
      <input type="hidden" name="token" value="${token}"><input type="hidden" name="lang" value="${lang}">
      <p>${s.reminder_cancel}</p>
      <button type="submit">${s.reminder_unsubscribe_button}</button>
    </form>
    <p><a href="${publication.origins[0]}/">${publication.name}</a></p>`;
  return page({ title, lang, stylesheet: stylesheetOf(publication) }, body);
}

/**
 * The unsubscribe link opened in a browser: one button (a POST: a mail scanner fetching the link changes nothing),
 * or, once pressed, the answer.
 */
export function renderUnsubscribePage(
  publication: PublicationRow,
  lang: WidgetLang,
  state: { email: string; token: string } | 'done' | 'invalid',
): string {
  const s = PAGE_STRINGS[lang];
  const title = fill(s.reminder_title, { name: publication.name });
  const content =
    state === 'done'
      ? html`<p role="status">${fill(s.reminder_unsubscribed, { name: publication.name })}</p>`
      : state === 'invalid'
        ? html`<p>${s.reminder_link_invalid}</p>`
        : html`<form method="post" action="/reminders/unsubscribe" class="card">
            <input type="hidden" name="token" value="${state.token}"><input type="hidden" name="lang" value="${lang}">
            <p>${fill(s.reminder_unsubscribe_intro, { name: publication.name, email: state.email })}</p>
            <button type="submit">${s.reminder_unsubscribe_button}</button>
          </form>`;
  return page({ title, lang, stylesheet: stylesheetOf(publication) }, html`<h1>${title}</h1>${content}`);
}
