// favour's browser widget: "A small favour" appeal + donate button, embedded by publishers with
//   <script async src="https://SERVICE/widget.js" data-publication="demo"></script>
// or <div data-favour-publication="demo"></div> placeholders. Shadow DOM + constructable stylesheet,
// no runtime dependencies, no cookies, one global (window.favour).
import css from './widget.css';
import type { WidgetConfig, WidgetCopy, WidgetInterval, WidgetStrings } from '../widget-config.js';
import { parseRgb, textOn, withContrast, type Rgb } from './colour.js';
import { formatMinor, toMinor } from './money.js';
import { articleUrl, isCapped, isSupporter, type Memory, readMarkers, recentViews, supporterUntil } from './polite.js';
import { pickVariant } from './variant.js';

interface Favour {
  version: string;
  /** Renders the widget into `[data-favour-publication]` placeholders under `root` (default: the document) not rendered yet. */
  render(root?: ParentNode | null): void;
}
declare global {
  interface Window {
    favour?: Favour;
  }
}

type Kid = Node | string | null | undefined | false;
type Form = 'full' | 'collapsed' | 'thanks';

const doc = document;
const win = window;
const LIGHT: Rgb = [255, 255, 255];
const DARK: Rgb = [29, 29, 32];
const FALLBACK_LABEL: Record<string, string> = { en: 'Support us', it: 'Sostienici', sr: 'Подржите нас', 'sr-latn': 'Podržite nas' };

/** A tiny createElement: attributes, then children (strings become text, never HTML). */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string> | null,
  ...kids: (Kid | Kid[])[]
): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]!);
  e.append(...(kids.flat().filter((k) => k != null && k !== false) as (Node | string)[]));
  return e;
}

const fill = (s: string, values: Record<string, string>) => s.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);

// localStorage may be missing or throw (Safari private mode, sandboxed iframes): then the widget forgets.
function load(pub: string): Memory {
  try {
    const m: unknown = JSON.parse(localStorage.getItem('favour:' + pub) || '{}');
    return m && typeof m == 'object' ? (m as Memory) : {};
  } catch {
    return {};
  }
}
function save(pub: string, m: Memory): void {
  try {
    localStorage.setItem('favour:' + pub, JSON.stringify(m));
  } catch {
    /* private mode: no memory */
  }
}

function beacon(c: WidgetConfig, type: 'impression' | 'click', variant?: string): void {
  const body = JSON.stringify({ publication: c.publication, type, article_url: articleUrl(location.href), variant });
  try {
    if (navigator.sendBeacon(c.events_url, body)) return;
  } catch {
    /* no sendBeacon: fetch below */
  }
  fetch(c.events_url, { method: 'POST', body, keepalive: true, credentials: 'omit', mode: 'no-cors' }).catch(() => {});
}

/** Height to reserve before the config arrives, by form and width (measured ones are remembered per browser). */
function estimate(form: string, width: number): number {
  if (form[0] == 'c') return 70;
  if (form[0] == 't') return 130;
  // Fitted to the default copy in en/it/sr at 300–760 px (403 px at 640, 630 at 300), with a margin.
  return Math.max(430, 650 - 0.6 * (width - 300)) + (form.length > 4 ? 70 : 0);
}

if (!win.favour) {
  const configs: Record<string, Promise<WidgetConfig>> = {};
  const rendered = new WeakSet<Element>();
  const recorded: Record<string, boolean> = {};
  const script = doc.currentScript as HTMLScriptElement | null;
  const src = script?.src || (doc.querySelector('script[src*="widget.js"]') as HTMLScriptElement | null)?.src;
  const base = src ? new URL('.', src).href : '';
  const marks = readMarkers(location.href);
  if (marks.stripped) {
    try {
      history.replaceState(history.state, '', marks.stripped);
    } catch {
      /* sandboxed: keep the URL */
    }
  }
  let sheet: CSSStyleSheet | undefined;

  const config = (pub: string, lang: string) => {
    const url = base + 'api/widget/' + encodeURIComponent(pub) + (lang ? '?lang=' + encodeURIComponent(lang) : '');
    return (configs[url] ||= fetch(url, { credentials: 'omit' }).then((r) => (r.ok ? r.json() : Promise.reject(r.status))));
  };

  const mount = (target: HTMLElement, pub: string) => {
    const attr = (k: string) => target.getAttribute('data-' + k) || '';
    // The space the placeholder takes now: a publisher may reserve the slot with CSS (kept: no shift).
    const { height } = target.getBoundingClientRect();
    let host = target;
    let root: ShadowRoot;
    try {
      root = host.attachShadow({ mode: 'open' });
    } catch {
      host = target.appendChild(h('div'));
      root = host.attachShadow({ mode: 'open' });
    }
    // CSSOM, not a style attribute: allowed under a CSP without 'unsafe-inline', and beats host CSS.
    host.style.setProperty('display', 'block', 'important');
    try {
      sheet ||= new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(h('style', null, css)); // old browsers; needs a CSP that allows it
    }
    const theme = attr('theme');
    const lang = attr('lang') || doc.documentElement.lang;
    const wrap = root.appendChild(h('div', { class: 'w ' + (theme == 'light' || theme == 'dark' ? theme : 'auto') }));
    const card = wrap.appendChild(h('div', { class: 'c', 'aria-busy': 'true' }));
    const width = host.getBoundingClientRect().width; // with our styles: host CSS cannot hide or shrink it
    const set = (k: string, v: string) => wrap.style.setProperty(k, v);
    const paint = (colour?: string) => {
      // The browser normalises any CSS colour to rgb(); an invalid one leaves style.color empty.
      let rgb: Rgb | undefined;
      set('color', colour || '');
      if (wrap.style.color) rgb = parseRgb(getComputedStyle(wrap).color);
      set('color', '');
      if (rgb) {
        const css = (c: Rgb) => `rgb(${c})`;
        set('--a', css(rgb));
        set('--on', css(textOn(rgb)));
        set('--kl', css(withContrast(rgb, LIGHT, 3)));
        set('--kd', css(withContrast(rgb, DARK, 3)));
      }
      return !!rgb;
    };

    // Reserve the height now, so nothing below moves when the appeal arrives (CLS 0).
    let now = Date.now();
    let m = load(pub);
    // A return from checkout thanks only the publication it was for (all of them when unnamed).
    const thanked = marks.thanks && (!marks.pub || marks.pub == pub);
    const key = (form: Form) => form + (marks.cancelled && form == 'full' ? '+' : '');
    const predicted: Form =
      thanked || isSupporter(m, now) ? 'thanks' : m.c && isCapped(m, { views: m.c[0], days: m.c[1] }, now) ? 'collapsed' : 'full';
    // Never less than the space the placeholder took before (a publisher may reserve it with CSS).
    const remembered = m.h && m.h[0] == key(predicted) && Math.abs(m.h[1] - width) < 8 ? m.h[2] : 0;
    // (The card is the host minus .w's 16 px padding above and below; a hidden widget moves nothing.)
    if (width) card.style.setProperty('min-height', (Math.max(height - 32, remembered) || estimate(key(predicted), width)) + 'px');
    paint(attr('accent')) || paint(m.a);

    const show = (kids: Kid[], form: Form) => {
      card.className = 'c' + (form == 'collapsed' ? ' k' : '');
      card.replaceChildren(...(kids.filter(Boolean) as Node[]));
      card.removeAttribute('aria-busy');
      // Remember the natural height for the next page view (measured without the reservation).
      const reserved = card.style.minHeight;
      const mm = load(pub);
      card.style.minHeight = '';
      mm.h = [key(form), width, Math.ceil(card.getBoundingClientRect().height)];
      card.style.minHeight = reserved;
      save(pub, mm);
    };

    config(pub, lang).then(
      (c) => {
        now = Date.now();
        m = load(pub);
        const S: WidgetStrings = c.strings;
        const name = { name: c.name };
        if (thanked) m.s = supporterUntil(marks.until, now) ?? (marks.until ? m.s : Math.floor(now / 1000) + c.supporter_days * 86400);
        m.c = [c.frequency_cap.views, c.frequency_cap.days];
        m.f = [c.donate_url, fill(S.no_script, name)];
        m.a = attr('accent') || c.accent;
        if (typeof m.b != 'number') m.b = Math.random();
        save(pub, m);
        paint(attr('accent')) || paint(c.accent);
        wrap.lang = c.lang;

        if (thanked || isSupporter(m, now)) {
          return show(
            [h('div', { class: 't' }, h('h2', null, fill(S.thanks_heading, name)), h('p', null, fill(S.thanks_body, name)))],
            'thanks',
          );
        }
        const variant = pickVariant(c.variants, m.b, marks.variant);
        const copy: WidgetCopy = variant ? variant.copy : c.copy;
        const note = marks.cancelled && h('p', { class: 'n', role: 'status' }, fill(S.cancelled, name));

        const impression = () => {
          const watch = new IntersectionObserver(
            ([e]) => {
              if (!e || e.intersectionRatio < 0.5) return;
              watch.disconnect();
              beacon(c, 'impression', variant?.id);
              if (recorded[pub]) return;
              recorded[pub] = true;
              const mm = load(pub);
              mm.v = [...recentViews(mm, c.frequency_cap.days, Date.now()), Date.now()];
              save(pub, mm);
            },
            { threshold: 0.5 },
          );
          watch.observe(host);
        };

        if (isCapped(m, c.frequency_cap, now)) {
          const expand = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-describedby': 'xd' }, fill(S.collapsed, name));
          expand.onclick = () => {
            show(appeal(c, copy, variant?.id, attr, note), 'full');
            card.querySelector('h2')!.focus();
            impression();
          };
          return show(
            [
              note,
              h('p', { class: 'l' }, h('span', null, copy.heading), expand),
              h('span', { id: 'xd', class: 'sr' }, fill(S.expand, name)),
            ],
            'collapsed',
          );
        }
        show(appeal(c, copy, variant?.id, attr, note), 'full');
        impression();
      },
      (status) => {
        if (status == 404) return host.style.setProperty('display', 'none', 'important');
        const l = lang.toLowerCase();
        const [url, label] = m.f || [
          base + 'donate/' + encodeURIComponent(pub),
          FALLBACK_LABEL[l.startsWith('sr-latn') ? 'sr-latn' : l.slice(0, 2)] || FALLBACK_LABEL.en!,
        ];
        show([h('div', null, h('a', { href: url }, label))], 'thanks');
      },
    );
  };

  /** The full appeal: copy, interval and amount radio groups, other amount, Donate. */
  const appeal = (c: WidgetConfig, copy: WidgetCopy, variant: string | undefined, attr: (k: string) => string, note: Kid): Kid[] => {
    const S = c.strings;
    const cur = c.currencies[attr('currency').toLowerCase()] ? attr('currency').toLowerCase() : c.default_currency;
    const C = c.currencies[cur]!;
    const money = (minor: number) => formatMinor(minor, cur, C.exponent, c.locale);
    const values = { name: c.name, min: money(C.min), max: money(C.max) };
    let interval = (c.intervals.includes(attr('interval') as WidgetInterval) ? attr('interval') : c.intervals[0]) as WidgetInterval;
    let preset: number | undefined;
    let touched = false;
    let busy = false;

    const radio = (name: string, value: string | number, label: string, checked: boolean, change: () => void) => {
      const input = h('input', { type: 'radio', name, id: name + value, value: '' + value });
      input.checked = checked;
      input.onchange = change;
      return [input, h('label', { for: name + value }, label)];
    };

    // The currency sign goes where the reader's locale puts it: "$ [  ]" or "[  ] €".
    const [pre, post] = money(0)
      .split('0')
      .map((t) => t.trim() && h('b', null, t.trim()));
    const other = h('input', { id: 'x', inputmode: 'decimal', autocomplete: 'off', enterkeyhint: 'go', 'aria-describedby': 'e' });
    const otherBox = h('label', { class: 'x' }, h('span', null, S.other_amount), pre, other, post);
    const options = h('div', { class: 'o' });
    const error = h('p', { class: 'e', id: 'e', 'aria-live': 'polite' });
    const button = h('button', { type: 'submit' });
    const status = h('p', { class: 'm', 'aria-live': 'polite' }, S.secure_note);

    const current = (): [number, string] => {
      const text = other.value.trim();
      if (!text) return preset === undefined ? [NaN, S.amount_invalid] : [preset, ''];
      const v = toMinor(text, C.exponent);
      return [v, v != v ? S.amount_invalid : v < C.min ? fill(S.amount_too_low, values) : v > C.max ? fill(S.amount_too_high, values) : ''];
    };
    const update = () => {
      const [v, err] = current();
      const per = S[('per_' + interval) as keyof WidgetStrings] || '';
      const amount = err ? '' : per.includes('{amount}') ? fill(per, { amount: money(v) }) : money(v) + per;
      button.textContent = S.donate.includes('{amount}')
        ? fill(S.donate, { ...values, amount }).trim()
        : S.donate + (amount && ' ' + amount);
      const shown = touched && !!other.value.trim() && err;
      error.textContent = shown || '';
      other.setAttribute('aria-invalid', '' + !!shown);
    };
    const presets = () => {
      // Each interval starts on its middle preset (unless an amount is typed).
      const list = C.presets[interval] || [];
      preset = other.value.trim() ? undefined : list[Math.min(1, list.length - 1)];
      options.replaceChildren(
        ...list.flatMap((a) =>
          radio('p', a, money(a), a === preset, () => {
            preset = a;
            other.value = '';
            touched = false;
            update();
          }),
        ),
        otherBox,
      );
      update();
    };
    other.oninput = () => {
      if (other.value.trim()) {
        preset = undefined;
        options.querySelectorAll('input[type=radio]').forEach((r) => ((r as HTMLInputElement).checked = false));
      }
      update();
    };
    other.onblur = () => {
      touched = true;
      update();
    };
    const done = (message: string, isError?: boolean) => {
      busy = false;
      button.removeAttribute('aria-busy');
      status.textContent = message;
      status.className = isError ? 'm err' : 'm';
    };
    // Back from Stripe via the back button (bfcache): ready again.
    win.addEventListener('pageshow', (e) => e.persisted && done(S.secure_note));

    const form = h('form', { novalidate: '' });
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (busy) return;
      const [amount, err] = current();
      if (err) {
        touched = true;
        update();
        if (!other.value.trim()) error.textContent = err;
        other.setAttribute('aria-invalid', 'true');
        return other.focus();
      }
      done(S.loading);
      busy = true;
      button.setAttribute('aria-busy', 'true');
      beacon(c, 'click', variant);
      const key = crypto.getRandomValues(new Uint32Array(4)).join('-');
      try {
        const r = await fetch(c.checkout_url, {
          method: 'POST',
          credentials: 'omit',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify({
            publication: c.publication,
            amount,
            currency: cur,
            interval,
            article_url: articleUrl(location.href),
            locale: c.locale,
            variant,
          }),
        });
        const j = await r.json().catch(() => ({}));
        if (r.ok && /^https?:\/\//.test(j.url)) return location.assign(j.url);
        const code = j.error?.code;
        done(
          code == 'payments_not_configured'
            ? S.not_configured
            : r.status == 429 || code == 'stripe_rate_limited'
              ? S.rate_limited
              : S.generic_error,
          true,
        );
      } catch {
        done(S.network_error, true);
      }
    };
    const choices = c.intervals.map((i) =>
      radio('i', i, S[i], i == interval, () => {
        interval = i;
        presets();
      }),
    );
    form.append(
      ...([
        c.intervals.length > 1 && h('fieldset', null, h('legend', null, S.interval_legend), h('div', { class: 'o s' }, choices.flat())),
      ].filter(Boolean) as Node[]),
      h('fieldset', null, h('legend', null, S.amount_legend), options, error),
      h('div', { class: 'r' }, button),
      status,
    );
    presets();
    return [note, h('h2', { tabindex: '-1' }, copy.heading), h('p', null, copy.body), form];
  };

  const render = (root?: ParentNode | null) => {
    (root || doc).querySelectorAll<HTMLElement>('[data-favour-publication]').forEach((el) => {
      if (!rendered.has(el)) {
        rendered.add(el);
        mount(el, el.getAttribute('data-favour-publication')!);
      }
    });
  };

  win.favour = { version: __VERSION__, render };
  if (doc.readyState == 'loading') doc.addEventListener('DOMContentLoaded', () => render());
}

// The script tag renders the appeal where it stands: a placeholder before it with its data-* attributes.
// (A second copy of the script on the page only adds its placeholder; the first copy renders it.)
const tag = doc.currentScript;
if (tag?.getAttribute('data-publication') && tag.parentNode && tag.parentNode != doc.head) {
  const el = h('div');
  for (const a of Array.from(tag.attributes))
    if (a.name.startsWith('data-')) el.setAttribute(a.name == 'data-publication' ? 'data-favour-publication' : a.name, a.value);
  tag.parentNode.insertBefore(el, tag);
}
win.favour!.render();
