// One layout for every e-mail: greeting, paragraphs, an optional button (a link, in the text version too), signature
// and footer, as plain text and as simple HTML that reads the same in every mail program.
import { escapeHtml } from '../pages/html.js';
import type { WidgetLang } from '../widget/widget-config.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface Letter {
  lang: WidgetLang;
  subject: string;
  /** Greeting first, signature last; blank lines inside a paragraph's text start new paragraphs. */
  paragraphs: string[];
  /** A link shown as a button, placed after the paragraphs before the signature. */
  button?: { label: string; url: string } | undefined;
  signature: string;
  footer: string;
}

export function renderLetter(letter: Letter): RenderedEmail {
  const paragraphs = letter.paragraphs
    .flatMap((p) => p.split('\n\n'))
    .map((p) => p.trim())
    .filter(Boolean);
  const text = [...paragraphs, ...(letter.button ? [`${letter.button.label}: ${letter.button.url}`] : []), letter.signature.trim()];
  const button = letter.button
    ? `<p><a href="${escapeHtml(letter.button.url)}" style="display: inline-block; padding: 12px 20px; border-radius: 999px; background: #0b5cad; color: #fff; font-family: sans-serif; font-weight: bold; text-decoration: none;">${escapeHtml(letter.button.label)}</a></p>`
    : '';
  return {
    subject: letter.subject,
    text: `${text.join('\n\n')}\n\n--\n${letter.footer}\n`,
    html:
      `<!doctype html><html lang="${letter.lang}"><body style="font-family: Georgia, serif; font-size: 16px; line-height: 1.5; color: #1c1c1e;">` +
      paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('') +
      button +
      `<p>${escapeHtml(letter.signature.trim())}</p>` +
      `<hr style="border: 0; border-top: 1px solid #ddd;"><p style="font-size: 13px; color: #555;">${escapeHtml(letter.footer)}</p></body></html>`,
  };
}
