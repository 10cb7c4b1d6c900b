// "Not now? Remind me in a month": a link under the appeal that opens an e-mail field; the server e-mails a link to
// confirm (double opt-in) and answers the same for any address.
import type { WidgetConfig } from '../widget-config.js';
import { element } from './dom.js';
import { articleUrl } from './polite.js';

/**
 * The offer (a text button for the Donate row, so it takes no height of its own where the row has room) and the box
 * after the form that its e-mail field opens in.
 */
export function renderReminder(
  config: WidgetConfig,
  reminder: NonNullable<WidgetConfig['reminder']>,
): [offer: HTMLButtonElement, box: HTMLElement] {
  const strings = config.strings;
  const box = element('div', { class: 'rm' });
  const offer = element('button', { type: 'button', class: 'lk' }, strings.remind_offer);
  offer.onclick = () => {
    offer.remove();
    const input = element('input', { type: 'email', id: 'rme', autocomplete: 'email', required: '', maxlength: '254' });
    const status = element('p', { class: 'm', 'aria-live': 'polite' });
    const form = element(
      'form',
      { novalidate: '' },
      element('label', { for: 'rme' }, strings.remind_email),
      element('div', { class: 'r' }, input, element('button', { type: 'submit' }, strings.remind_button)),
      status,
    );
    const say = (message: string) => {
      status.textContent = message;
      status.className = 'm err';
    };
    form.onsubmit = async (event) => {
      event.preventDefault();
      if (!input.checkValidity()) {
        say(strings.remind_invalid);
        return input.focus();
      }
      try {
        const response = await fetch(reminder.url, {
          method: 'POST',
          credentials: 'omit',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            publication: config.publication,
            email: input.value.trim(),
            article_url: articleUrl(location.href),
            after_days: reminder.after_days,
            locale: config.locale,
          }),
        });
        if (!response.ok) return say(response.status == 429 ? strings.rate_limited : strings.generic_error);
        box.replaceChildren(element('p', { class: 'm', role: 'status' }, strings.remind_sent));
      } catch {
        say(strings.network_error);
      }
    };
    box.replaceChildren(form);
    input.focus();
  };
  return [offer, box];
}
