// Cookieless counters: an impression when the appeal is half in view, a click on Donate, the monthly offer
// shown and taken.
import type { WidgetConfig } from '../widget-config.js';
import { articleUrl } from './polite.js';

export type BeaconType = 'impression' | 'click' | 'upsell_shown' | 'upsell_accepted';

export function sendBeacon(config: WidgetConfig, type: BeaconType, variant?: string): void {
  const body = JSON.stringify({ publication: config.publication, type, article_url: articleUrl(location.href), variant });
  try {
    if (navigator.sendBeacon(config.events_url, body)) return;
  } catch {
    /* no sendBeacon: fetch below */
  }
  fetch(config.events_url, { method: 'POST', body, keepalive: true, credentials: 'omit', mode: 'no-cors' }).catch(() => {});
}
