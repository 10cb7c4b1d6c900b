// The publication's configuration, fetched once per page for each publication and language.
import type { WidgetConfig } from '../widget-config.js';

/** The service's base URL: where this script was loaded from. Read while the script runs (currentScript). */
export function serviceBase(): string {
  const script = document.currentScript as HTMLScriptElement | null;
  const src = script?.src || (document.querySelector('script[src*="widget.js"]') as HTMLScriptElement | null)?.src;
  return src ? new URL('.', src).href : '';
}

/** Rejects with the HTTP status when the service answers with an error (404: no such publication). */
export function createConfigLoader(base: string): (publication: string, lang: string) => Promise<WidgetConfig> {
  const loading: Record<string, Promise<WidgetConfig>> = {};
  return (publication, lang) => {
    const url = base + 'api/widget/' + encodeURIComponent(publication) + (lang ? '?lang=' + encodeURIComponent(lang) : '');
    return (loading[url] ||= fetch(url, { credentials: 'omit' }).then((response) =>
      response.ok ? response.json() : Promise.reject(response.status),
    ));
  };
}
