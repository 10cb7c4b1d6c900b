const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const parts = Array.isArray(value) ? value : [value];
    out += parts.map((v) => (v instanceof SafeHtml ? v.value : v === false || v == null ? '' : escapeHtml(v))).join('');
    out += strings[i + 1] ?? '';
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  lang?: string;
  /** Extra stylesheet, e.g. a publication's accent colour. */
  stylesheet?: string;
}

/** A complete page: no inline script or style, so the strict CSP holds. */
export function page(options: PageOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${options.lang ?? 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<link rel="stylesheet" href="/assets/favour.css">${options.stylesheet ? html`<link rel="stylesheet" href="${options.stylesheet}">` : ''}
</head><body><main>${body}</main></body></html>`.value;
}
