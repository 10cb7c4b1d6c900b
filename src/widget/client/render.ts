// One embed: its shadow root and stylesheet, the height reserved before the configuration arrives (no layout
// shift), the accent colour, and which form to show: the appeal, its collapsed line, or the thank-you.
import css from './widget.css';
import type { WidgetConfig, WidgetCopy, WidgetStrings } from '../widget-config.js';
import { fitIntervalSwitch, renderAppeal } from './appeal.js';
import { sendBeacon } from './beacons.js';
import { parseRgb, type Rgb, textOn, withContrast } from './colour.js';
import { type Child, element, fillTemplate } from './dom.js';
import { isCapped, isSupporter, type PageMarkers, recentViews, supporterUntil } from './polite.js';
import { loadMemory, saveMemory } from './state.js';
import { pickVariant } from './variant.js';

type Form = 'full' | 'collapsed' | 'thanks';

const LIGHT: Rgb = [255, 255, 255];
const DARK: Rgb = [29, 29, 32];
const FALLBACK_LABEL: Record<string, string> = { en: 'Support us', it: 'Sostienici', sr: 'Подржите нас', 'sr-latn': 'Podržite nas' };

/** Height to reserve before the config arrives, by form and width (measured ones are remembered per browser). */
function estimatedHeight(form: string, width: number, withGoal: boolean): number {
  if (form.startsWith('collapsed')) return 70;
  if (form.startsWith('thanks')) return 130;
  // Fitted to the default copy in en/it/sr at 300–760 px (403 px at 640, 630 at 300), with a margin; the
  // cancelled note ("full+") adds a line, the goal meter about three. A first visit cannot know whether the
  // publication runs a goal: it keeps room for one rather than push the article down when it comes.
  return Math.max(430, 650 - 0.6 * (width - 300)) + (form.endsWith('+') ? 70 : 0) + (withGoal ? 80 : 0);
}

let sharedSheet: CSSStyleSheet | undefined;

function attachStyledRoot(target: HTMLElement): { host: HTMLElement; root: ShadowRoot } {
  let host = target;
  let root: ShadowRoot;
  try {
    root = host.attachShadow({ mode: 'open' });
  } catch {
    host = target.appendChild(element('div'));
    root = host.attachShadow({ mode: 'open' });
  }
  // CSSOM, not a style attribute: allowed under a CSP without 'unsafe-inline', and beats host CSS.
  host.style.setProperty('display', 'block', 'important');
  try {
    sharedSheet ||= new CSSStyleSheet();
    if (!sharedSheet.cssRules.length) sharedSheet.replaceSync(css);
    root.adoptedStyleSheets = [sharedSheet];
  } catch {
    root.append(element('style', null, css)); // old browsers; needs a CSP that allows it
  }
  return { host, root };
}

export interface MountContext {
  base: string;
  markers: PageMarkers;
  loadConfig: (publication: string, lang: string) => Promise<WidgetConfig>;
  /** Publications whose impression this page view has already counted towards the frequency cap. */
  counted: Set<string>;
}

export function mount(context: MountContext, target: HTMLElement, publication: string): void {
  const { markers } = context;
  const attribute = (name: string) => target.getAttribute('data-' + name) || '';
  // The space the placeholder takes now: a publisher may reserve the slot with CSS (kept: no shift).
  const placeholderHeight = target.getBoundingClientRect().height;
  const { host, root } = attachStyledRoot(target);
  const theme = attribute('theme');
  const lang = attribute('lang') || document.documentElement.lang;
  const wrap = root.appendChild(element('div', { class: 'w ' + (theme == 'light' || theme == 'dark' ? theme : 'auto') }));
  const card = wrap.appendChild(element('div', { class: 'c', 'aria-busy': 'true' }));
  const width = host.getBoundingClientRect().width; // with our styles: host CSS cannot hide or shrink it
  const setStyle = (name: string, value: string) => wrap.style.setProperty(name, value);
  const paintAccent = (colour?: string) => {
    // The browser normalises any CSS colour to rgb(); an invalid one leaves style.color empty.
    let rgb: Rgb | undefined;
    setStyle('color', colour || '');
    if (wrap.style.color) rgb = parseRgb(getComputedStyle(wrap).color);
    setStyle('color', '');
    if (rgb) {
      const cssColour = (c: Rgb) => `rgb(${c})`;
      setStyle('--a', cssColour(rgb));
      setStyle('--on', cssColour(textOn(rgb)));
      setStyle('--kl', cssColour(withContrast(rgb, LIGHT, 3)));
      setStyle('--kd', cssColour(withContrast(rgb, DARK, 3)));
    }
    return !!rgb;
  };

  // Reserve the height now, so nothing below moves when the appeal arrives (CLS 0).
  let now = Date.now();
  let memory = loadMemory(publication);
  // A return from checkout thanks only the publication it was for (all of them when unnamed).
  const thanked = markers.thanks && (!markers.pub || markers.pub == publication);
  const heightKey = (form: Form) => form + (markers.cancelled && form == 'full' ? '+' : '');
  const predicted: Form =
    thanked || isSupporter(memory, now)
      ? 'thanks'
      : memory.cap && isCapped(memory, { views: memory.cap[0], days: memory.cap[1] }, now)
        ? 'collapsed'
        : 'full';
  const remembered =
    memory.height && memory.height[0] == heightKey(predicted) && Math.abs(memory.height[1] - width) < 8 ? memory.height[2] : 0;
  // Never less than the space the placeholder took before. (The card is the host minus .w's 16 px padding above
  // and below; a hidden widget moves nothing.)
  if (width)
    card.style.setProperty(
      'min-height',
      (Math.max(placeholderHeight - 32, remembered) || estimatedHeight(heightKey(predicted), width, memory.goal !== false)) + 'px',
    );
  paintAccent(attribute('accent')) || paintAccent(memory.accent);

  const show = (children: Child[], form: Form) => {
    card.className = 'c' + (form == 'collapsed' ? ' k' : '');
    card.replaceChildren(...(children.filter(Boolean) as Node[]));
    card.removeAttribute('aria-busy');
    fitIntervalSwitch(card);
    // Remember the natural height for the next page view (measured without the reservation).
    const reserved = card.style.minHeight;
    const latest = loadMemory(publication);
    card.style.minHeight = '';
    latest.height = [heightKey(form), width, Math.ceil(card.getBoundingClientRect().height)];
    card.style.minHeight = reserved;
    saveMemory(publication, latest);
  };

  const showConfigured = (config: WidgetConfig) => {
    now = Date.now();
    memory = loadMemory(publication);
    const strings: WidgetStrings = config.strings;
    const name = { name: config.name };
    if (thanked)
      memory.supporterUntil =
        supporterUntil(markers.until, now) ??
        (markers.until ? memory.supporterUntil : Math.floor(now / 1000) + config.supporter_days * 86400);
    memory.cap = [config.frequency_cap.views, config.frequency_cap.days];
    memory.fallback = [config.donate_url, fillTemplate(strings.no_script, name)];
    memory.accent = attribute('accent') || config.accent;
    memory.goal = !!config.goal;
    if (typeof memory.bucket != 'number') memory.bucket = Math.random();
    saveMemory(publication, memory);
    paintAccent(attribute('accent')) || paintAccent(config.accent);
    wrap.lang = config.lang;

    if (thanked || isSupporter(memory, now)) {
      return show(
        [
          element(
            'div',
            { class: 't' },
            element('h2', null, fillTemplate(strings.thanks_heading, name)),
            element('p', null, fillTemplate(strings.thanks_body, name)),
          ),
        ],
        'thanks',
      );
    }
    const variant = pickVariant(config.variants, memory.bucket, markers.variant);
    const copy: WidgetCopy = variant ? variant.copy : config.copy;
    const note = markers.cancelled && element('p', { class: 'n', role: 'status' }, fillTemplate(strings.cancelled, name));
    const appeal = () => renderAppeal({ config, copy, variant: variant?.id, attribute, note });

    const countImpressionWhenSeen = () => {
      const observer = new IntersectionObserver(
        ([entry]) => {
          if (!entry || entry.intersectionRatio < 0.5) return;
          observer.disconnect();
          sendBeacon(config, 'impression', variant?.id);
          if (context.counted.has(publication)) return;
          context.counted.add(publication);
          const latest = loadMemory(publication);
          latest.views = [...recentViews(latest, config.frequency_cap.days, Date.now()), Date.now()];
          saveMemory(publication, latest);
        },
        { threshold: 0.5 },
      );
      observer.observe(host);
    };

    if (isCapped(memory, config.frequency_cap, now)) {
      const expand = element(
        'button',
        { type: 'button', 'aria-expanded': 'false', 'aria-describedby': 'xd' },
        fillTemplate(strings.collapsed, name),
      );
      expand.onclick = () => {
        show(appeal(), 'full');
        card.querySelector('h2')!.focus();
        countImpressionWhenSeen();
      };
      return show(
        [
          note,
          element('p', { class: 'l' }, element('span', null, copy.heading), expand),
          element('span', { id: 'xd', class: 'sr' }, fillTemplate(strings.expand, name)),
        ],
        'collapsed',
      );
    }
    show(appeal(), 'full');
    countImpressionWhenSeen();
  };

  const showUnavailable = (status: unknown) => {
    if (status == 404) return host.style.setProperty('display', 'none', 'important');
    // The service is down: a plain link to the donate page, as the last good config named it.
    const language = lang.toLowerCase();
    const [url, label] = memory.fallback || [
      context.base + 'donate/' + encodeURIComponent(publication),
      FALLBACK_LABEL[language.startsWith('sr-latn') ? 'sr-latn' : language.slice(0, 2)] || FALLBACK_LABEL.en!,
    ];
    show([element('div', null, element('a', { href: url }, label))], 'thanks');
  };

  context.loadConfig(publication, lang).then(showConfigured, showUnavailable);
}
