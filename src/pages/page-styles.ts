import { readableOn } from './colour.js';

/** The page backgrounds links must read on (the card is lighter in the light scheme, darker's bg the darkest). */
const LIGHT_BACKGROUND = '#fbfaf7';
const DARK_BACKGROUND = '#17171a';
const DARK_CARD = '#202024';

/**
 * The accent's custom properties: itself (buttons, current tabs), the text on it, and as a link and meter
 * colour at 4.5:1 on the light and on the dark pages (the accent itself can be too dark for the dark scheme).
 */
export function accentProperties(accent: string, textOnAccent: string): string {
  const lightLink = readableOn(accent, LIGHT_BACKGROUND);
  const darkLink = readableOn(readableOn(accent, DARK_BACKGROUND), DARK_CARD);
  return `:root{--accent:${accent};--on-accent:${textOnAccent};--link:${lightLink}}@media (prefers-color-scheme: dark){:root{--link:${darkLink}}}`;
}

/** The hosted pages' stylesheet, served as /assets/favour.css (a strict CSP forbids inline styles). */
export const PAGE_CSS = `
${accentProperties('#0b5cad', '#ffffff')}
:root { color-scheme: light dark; --fg: #1b1b1f; --bg: #fbfaf7; --muted: #55555d; --line: #d9d6ce; --card: #fff; }
@media (prefers-color-scheme: dark) { :root { --fg: #ecebe8; --bg: #17171a; --muted: #b4b3ae; --line: #3a3a40; --card: #202024; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 18px/1.6 Georgia, "Times New Roman", serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1 { font: 700 2rem/1.2 system-ui, sans-serif; margin: 0 0 1rem; letter-spacing: -0.01em; }
h2 { font: 700 1.3rem/1.3 system-ui, sans-serif; }
p { margin: 0 0 1rem; }
a { color: var(--link); }
.muted { color: var(--muted); font-size: .9rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1.5rem; margin: 1.5rem 0; font-family: system-ui, sans-serif; font-size: 1rem; }
.tabs { display: flex; gap: .5rem; margin: 0 0 1rem; padding: 0; list-style: none; flex-wrap: wrap; }
.tabs a { display: block; padding: .45rem 1rem; border: 1px solid var(--line); border-radius: 999px; text-decoration: none; color: var(--fg); }
.tabs a[aria-current="page"] { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
legend { font-weight: 600; margin-bottom: .5rem; }
.choices { display: flex; flex-wrap: wrap; gap: .5rem; }
.choices label { position: relative; }
.choices input { position: absolute; opacity: 0; inset: 0; }
.choices span { display: inline-block; min-width: 5rem; text-align: center; padding: .55rem 1rem; border: 1px solid var(--line); border-radius: 8px; cursor: pointer; }
.choices input:checked + span { border-color: var(--link); box-shadow: inset 0 0 0 1px var(--link); font-weight: 600; }
.choices input:focus-visible + span { outline: 3px solid var(--link); outline-offset: 2px; }
label.other { display: block; margin: 1rem 0; }
label.fee-cover { display: flex; gap: .6rem; align-items: flex-start; margin: 0 0 1rem; cursor: pointer; }
label.fee-cover input { width: 1.2rem; height: 1.2rem; margin: .1rem 0 0; flex: none; accent-color: var(--link); }
input[type=text] { font: inherit; padding: .5rem .7rem; border: 1px solid var(--line); border-radius: 8px; background: transparent; color: inherit; width: 10rem; }
button { font: 600 1rem system-ui, sans-serif; background: var(--accent); color: var(--on-accent); border: 0; border-radius: 8px; padding: .75rem 1.6rem; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
.article header p { color: var(--muted); font-family: system-ui, sans-serif; font-size: .95rem; }
.goal { margin: 0 0 1.25rem; }
.goal p { margin: 0 0 .4rem; }
.goal p.muted { margin: .4rem 0 0; font-variant-numeric: tabular-nums; }
progress { appearance: none; display: block; width: 100%; height: .6rem; border: 1px solid var(--line); border-radius: 999px; background: var(--bg); overflow: hidden; }
progress::-webkit-progress-bar { background: var(--bg); }
progress::-webkit-progress-value { background: var(--link); }
progress::-moz-progress-bar { background: var(--link); }
.notice { border-left: 4px solid var(--accent); padding: .5rem 1rem; background: var(--card); }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
