// The full appeal: copy, the interval and amount radio groups, "other amount", Donate.
import type { WidgetConfig, WidgetCopy, WidgetInterval, WidgetStrings } from '../widget-config.js';
import { sendBeacon } from './beacons.js';
import { type CheckoutRequest, startCheckout } from './checkout.js';
import { type Child, element, fillTemplate } from './dom.js';
import { renderGoal } from './goal.js';
import { renderReminder } from './reminder.js';
import { formatMinor, toMinor } from './money.js';
import { articleUrl } from './polite.js';
import { loadMemory, saveMemory } from './state.js';
import { feeCoverAmount } from '../fee-cover.js';
import { suggestMonthly } from '../monthly-suggestion.js';

export interface AppealOptions {
  config: WidgetConfig;
  copy: WidgetCopy;
  variant: string | undefined;
  /** The embed's data-* attribute (currency, interval), '' when absent. */
  attribute: (name: string) => string;
  /** Shown above the heading (the "you cancelled" note), if any. */
  note: Child;
}

/** Once in the page: an interval switch whose options do not fit in one row becomes separate pills. */
export function fitIntervalSwitch(card: ParentNode): void {
  const options = card.querySelector('.s');
  if (!options) return;
  options.classList.remove('split');
  const labels = options.querySelectorAll('label');
  const [first, last] = [labels[0], labels[labels.length - 1]];
  if (first && last && last.offsetTop > first.offsetTop + 4) options.classList.add('split');
}

export function renderAppeal({ config, copy, variant, attribute, note }: AppealOptions): Child[] {
  const strings = config.strings;
  const wanted = attribute('currency').toLowerCase();
  const currency = config.currencies[wanted] ? wanted : config.default_currency;
  const limits = config.currencies[currency]!;
  const money = (minor: number) => formatMinor(minor, currency, limits.exponent, config.locale);
  const values = { name: config.name, min: money(limits.min), max: money(limits.max) };
  let interval = (
    config.intervals.includes(attribute('interval') as WidgetInterval) ? attribute('interval') : config.intervals[0]
  ) as WidgetInterval;
  let preset: number | undefined;
  let touched = false;
  let busy = false;

  const radio = (name: string, value: string | number, label: string, checked: boolean, onChange: () => void) => {
    const input = element('input', { type: 'radio', name, id: name + value, value: '' + value });
    input.checked = checked;
    input.onchange = onChange;
    return [input, element('label', { for: name + value }, label)];
  };

  // The currency sign goes where the reader's locale puts it: "$ [  ]" or "[  ] €".
  const [signBefore, signAfter] = money(0)
    .split('0')
    .map((text) => text.trim() && element('b', null, text.trim()));
  const otherInput = element('input', { id: 'x', inputmode: 'decimal', autocomplete: 'off', enterkeyhint: 'go', 'aria-describedby': 'e' });
  const otherBox = element('label', { class: 'x' }, element('span', null, strings.other_amount), signBefore, otherInput, signAfter);
  const amountOptions = element('div', { class: 'o' });
  const error = element('p', { class: 'e', id: 'e', 'aria-live': 'polite' });
  const donate = element('button', { type: 'submit' });
  // "Cover the fees": shown while the amount is valid and the fee on it is above nothing.
  const rate = config.fee_cover;
  const coverBox = element('input', { type: 'checkbox', id: 'fc' });
  coverBox.checked = !!rate?.default;
  const coverText = element('span');
  const cover = element('label', { class: 'f', for: 'fc' }, coverBox, coverText);
  const coversFees = () => !cover.hidden && coverBox.checked;
  const status = element('p', { class: 'm', 'aria-live': 'polite' }, strings.secure_note);

  /** The amount chosen or typed, and what is wrong with it ('' when nothing). */
  const chosenAmount = (): [number, string] => {
    const typed = otherInput.value.trim();
    if (!typed) return preset === undefined ? [NaN, strings.amount_invalid] : [preset, ''];
    const amount = toMinor(typed, limits.exponent);
    const problem = Number.isNaN(amount)
      ? strings.amount_invalid
      : amount < limits.min
        ? fillTemplate(strings.amount_too_low, values)
        : amount > limits.max
          ? fillTemplate(strings.amount_too_high, values)
          : '';
    return [amount, problem];
  };
  const update = () => {
    const [amount, problem] = chosenAmount();
    const per = strings[('per_' + interval) as keyof WidgetStrings] || '';
    const perInterval = (minor: number) => (per.includes('{amount}') ? fillTemplate(per, { amount: money(minor) }) : money(minor) + per);
    const amountText = problem ? '' : perInterval(amount);
    const fee = rate && !problem ? feeCoverAmount(amount, currency, rate) : 0;
    cover.hidden = !fee;
    coverText.textContent = fillTemplate(strings.fee_cover, { ...values, amount: perInterval(fee) });
    donate.textContent = strings.donate.includes('{amount}')
      ? fillTemplate(strings.donate, { ...values, amount: amountText }).trim()
      : strings.donate + (amountText && ' ' + amountText);
    const shown = touched && !!otherInput.value.trim() && problem;
    error.textContent = shown || '';
    otherInput.setAttribute('aria-invalid', '' + !!shown);
  };
  const showPresets = () => {
    // Each interval starts on its middle preset (unless an amount is typed).
    const presets = limits.presets[interval] || [];
    preset = otherInput.value.trim() ? undefined : presets[Math.min(1, presets.length - 1)];
    amountOptions.replaceChildren(
      ...presets.flatMap((amount) =>
        radio('p', amount, money(amount), amount === preset, () => {
          preset = amount;
          otherInput.value = '';
          touched = false;
          update();
        }),
      ),
      otherBox,
    );
    update();
  };
  otherInput.oninput = () => {
    if (otherInput.value.trim()) {
      preset = undefined;
      amountOptions.querySelectorAll('input[type=radio]').forEach((input) => ((input as HTMLInputElement).checked = false));
    }
    update();
  };
  otherInput.onblur = () => {
    touched = true;
    update();
  };
  const ready = (message: string, isError?: boolean) => {
    busy = false;
    donate.removeAttribute('aria-busy');
    status.textContent = message;
    status.className = isError ? 'm err' : 'm';
  };
  // Back from Stripe via the back button (bfcache): ready again.
  window.addEventListener('pageshow', (event) => event.persisted && ready(strings.secure_note));

  const form = element('form', { novalidate: '' });
  const [remindOffer, remindBox] = config.reminder ? renderReminder(config, config.reminder) : [];
  const checkout = async (request: Omit<CheckoutRequest, 'currency' | 'article_url' | 'variant'>) => {
    ready(strings.loading);
    busy = true;
    donate.setAttribute('aria-busy', 'true');
    const result = await startCheckout(config, { ...request, currency, article_url: articleUrl(location.href), variant });
    if ('url' in result) return location.assign(result.url);
    ready(result.message, true);
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (busy) return;
    const [amount, problem] = chosenAmount();
    if (problem) {
      touched = true;
      update();
      if (!otherInput.value.trim()) error.textContent = problem;
      otherInput.setAttribute('aria-invalid', 'true');
      return otherInput.focus();
    }
    sendBeacon(config, 'click', variant);
    const monthly = interval == 'once' && config.upsell ? suggestMonthly(amount, limits.presets.month, config.upsell.fraction) : undefined;
    // Offered at most every other Donate: a reader who said no is not asked again at once.
    const memory = loadMemory(config.publication);
    const offer = monthly !== undefined && !memory.upsellOffered;
    memory.upsellOffered = offer;
    saveMemory(config.publication, memory);
    // Sent only when ticked, so a checkout without the box looks as it always has.
    const cover_fees = coversFees() || undefined;
    if (!offer) return checkout({ amount, interval, cover_fees });
    const values = { name: config.name, amount: money(amount), monthly: money(monthly) };
    const choose = (accepted: boolean) => {
      if (busy) return;
      if (accepted) sendBeacon(config, 'upsell_accepted', variant);
      void checkout(accepted ? { amount: monthly, interval: 'month', upsell: 'accepted', cover_fees } : { amount, interval, cover_fees });
    };
    const yes = element('button', { type: 'button' }, fillTemplate(strings.upsell_yes, values));
    const no = element('button', { type: 'button' }, fillTemplate(strings.upsell_no, values));
    yes.onclick = () => choose(true);
    no.onclick = () => choose(false);
    // In place of the form, the two answers side by side and alike: declining is one press, as easy as accepting.
    const heading = element('h3', { id: 'uh', tabindex: '-1' }, fillTemplate(strings.upsell_heading, values));
    form.replaceWith(
      element(
        'div',
        { class: 'u', role: 'group', 'aria-labelledby': 'uh' },
        heading,
        element('p', null, fillTemplate(strings.upsell_body, values)),
        element('div', { class: 'r' }, yes, no),
        status,
      ),
    );
    heading.focus();
    sendBeacon(config, 'upsell_shown', variant);
  };
  const intervalChoices = config.intervals.map((choice) =>
    radio('i', choice, strings[choice], choice == interval, () => {
      interval = choice;
      showPresets();
    }),
  );
  form.append(
    ...([
      config.intervals.length > 1 &&
        element(
          'fieldset',
          null,
          element('legend', null, strings.interval_legend),
          element('div', { class: 'o s' }, intervalChoices.flat()),
        ),
      element('fieldset', null, element('legend', null, strings.amount_legend), amountOptions, error),
      rate && cover,
      element('div', { class: 'r' }, donate, remindOffer),
      status,
    ].filter(Boolean) as Node[]),
  );
  showPresets();
  return [
    note,
    element('h2', { tabindex: '-1' }, copy.heading),
    element('p', null, copy.body),
    config.goal && renderGoal(config, config.goal),
    form,
    remindBox,
  ];
}
