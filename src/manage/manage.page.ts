// The pages of "manage without an account": ask for a link by e-mail; open the billing portal with one.
import type { PublicationRow } from '../db/tables/publication.table.js';
import { html, page } from '../pages/html.js';
import { fill, PAGE_STRINGS } from '../widget/i18n.js';
import type { WidgetLang } from '../widget/widget-config.js';

const stylesheetOf = (publication: PublicationRow) => `/assets/theme/${publication.slug}.css`;

/** The e-mail form; after a request, the same "on its way" note whatever the address. */
export function renderManageRequestPage(publication: PublicationRow, lang: WidgetLang, sentTo?: string): string {
  const s = PAGE_STRINGS[lang];
  const title = fill(s.manage_title, { name: publication.name });
  const body = html`<h1>${title}</h1>
    ${sentTo !== undefined ? html`<p class="card" role="status">${fill(s.manage_sent, { email: sentTo, name: publication.name })}</p>` : ''}
    <p>${fill(s.manage_intro, { name: publication.name })}</p>
    <form method="post" action="/manage/${publication.slug}" class="card">
      <input type="hidden" name="lang" value="${lang}">
      <label class="other">${s.manage_email_label}<br>
        <input type="email" name="email" autocomplete="email" required maxlength="254"></label>
      <button type="submit">${s.manage_send}</button>
    </form>`;
  return page({ title, lang, stylesheet: stylesheetOf(publication) }, body);
}

/** A valid link: one button on to Stripe (a POST, so a mail scanner fetching the link does not use it up). */
export function renderManageOpenPage(publication: PublicationRow, lang: WidgetLang, token: string | undefined): string {
  const s = PAGE_STRINGS[lang];
  const title = fill(s.manage_title, { name: publication.name });
  const body = token
    ? html`<h1>${title}</h1><p>${fill(s.manage_open_intro, { name: publication.name })}</p>
        <form method="post" action="/manage/${publication.slug}/open" class="card">
          <input type="hidden" name="token" value="${token}"><input type="hidden" name="lang" value="${lang}">
          <button type="submit">${s.manage_membership}</button>
        </form>`
    : html`<h1>${title}</h1><p>${s.manage_link_invalid}</p>
        <p><a href="/manage/${publication.slug}?lang=${lang}">${s.manage_new_link}</a></p>`;
  return page({ title, lang, stylesheet: stylesheetOf(publication) }, body);
}
