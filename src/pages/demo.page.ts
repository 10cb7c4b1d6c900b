import { html, page } from './html.js';

/** A sample article with the widget embedded the way a publisher would do it. */
export function renderDemoPage(slug: string): string {
  return page(
    { title: 'City council approves the new library budget — The Demo Daily' },
    html`<article class="article">
      <header>
        <h1>City council approves the new library budget</h1>
        <p>By A. Reporter · 28 November 2026 · 4 min read</p>
      </header>
      <p>After three months of debate, the city council voted on Thursday to fund the new central library,
      ending a dispute that had divided neighbourhoods and delayed the project by a year.</p>
      <p>The budget covers construction and the first five years of opening hours, including evenings and
      Sundays, which residents had asked for in every public consultation.</p>
      <p>Opponents argued that the money should go to branch libraries first. The final plan keeps two
      branches open that had been scheduled to close.</p>
      <p>Work is expected to begin in the spring.</p>
      <script async src="/widget.js" data-publication="${slug}"></script>
      <noscript><a href="/donate/${slug}">Support our journalism</a></noscript>
    </article>`,
  );
}
