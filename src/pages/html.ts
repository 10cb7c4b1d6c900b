const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Tagged template that escapes every interpolated value unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const rendered = Array.isArray(value)
      ? value.map((v) => (v instanceof SafeHtml ? v.value : escapeHtml(v))).join('')
      : value instanceof SafeHtml
        ? value.value
        : escapeHtml(value);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

const STYLE = `
  :root { color-scheme: light dark; --accent: #0b5cad; }
  body { font: 17px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; } fieldset { border: 1px solid #8888; border-radius: .5rem; margin: 0 0 1rem; }
  label { margin-right: 1rem; white-space: nowrap; } input[type=text], input[type=email] { font: inherit; padding: .3rem; }
  button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: .4rem; padding: .5rem 1.2rem; cursor: pointer; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; } .muted { opacity: .8; }
`;

/** A complete, self-contained page (no inline script; styles in a <style> the CSP allows by hash-free 'self' fallback). */
export function page(title: string, body: SafeHtml, lang = 'en'): string {
  return `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head><body>${body.value}</body></html>`;
}
