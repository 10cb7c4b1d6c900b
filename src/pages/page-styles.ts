/** The hosted pages' stylesheet, served as /assets/favour.css (a strict CSP forbids inline styles). */
export const PAGE_CSS = `
:root { color-scheme: light dark; --accent: #0b5cad; --on-accent: #fff; --fg: #1b1b1f; --bg: #fbfaf7; --muted: #55555d; --line: #d9d6ce; --card: #fff; }
@media (prefers-color-scheme: dark) { :root { --fg: #ecebe8; --bg: #17171a; --muted: #b4b3ae; --line: #3a3a40; --card: #202024; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 18px/1.6 Georgia, "Times New Roman", serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1 { font: 700 2rem/1.2 system-ui, sans-serif; margin: 0 0 1rem; letter-spacing: -0.01em; }
h2 { font: 700 1.3rem/1.3 system-ui, sans-serif; }
p { margin: 0 0 1rem; }
a { color: var(--accent); }
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
.choices input:checked + span { border-color: var(--accent); box-shadow: inset 0 0 0 1px var(--accent); font-weight: 600; }
.choices input:focus-visible + span { outline: 3px solid var(--accent); outline-offset: 2px; }
label.other { display: block; margin: 1rem 0; }
input[type=text] { font: inherit; padding: .5rem .7rem; border: 1px solid var(--line); border-radius: 8px; background: transparent; color: inherit; width: 10rem; }
button { font: 600 1rem system-ui, sans-serif; background: var(--accent); color: var(--on-accent); border: 0; border-radius: 8px; padding: .75rem 1.6rem; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.article header p { color: var(--muted); font-family: system-ui, sans-serif; font-size: .95rem; }
.notice { border-left: 4px solid var(--accent); padding: .5rem 1rem; background: var(--card); }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
