import { Router } from 'express';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { formatMoney } from '../money/currency.js';
import { findPublicationBySlug, listPublications } from '../publications/publication.repository.js';
import { findCheckoutSession } from '../checkout/checkout-session.repository.js';
import { html, page } from './html.js';

const INTERVAL_LABELS: Record<string, string> = { once: 'One-off', month: 'Monthly', year: 'Yearly' };

/** Server-rendered pages that work without JavaScript: the index, a donate form, the thank-you page. */
export function pageRoutes(deps: { db: Db; publicUrl: string }): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const publications = await listPublications(deps.db);
    const items = publications.map((p) => html`<li><a href="/donate/${p.slug}">${p.name}</a> <span class="muted">(${p.slug})</span></li>`);
    res.type('html').send(
      page(
        'favour',
        html`<h1>favour</h1><p>Reader support for independent newsrooms.</p>
          <h2>Publications</h2><ul>${items}</ul>
          <p class="muted">Health: <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>`,
      ),
    );
  });

  router.get('/donate/:publication', async (req, res) => {
    const publication = await findPublicationBySlug(deps.db, req.params.publication);
    if (!publication) {
      res.status(404).type('html').send(page('Not found', html`<h1>No such publication</h1>`));
      return;
    }
    res.type('html').send(page(`Support ${publication.name}`, donateForm(publication, deps.publicUrl), publication.default_locale));
  });

  router.get('/thanks', async (req, res) => {
    const sessionId = typeof req.query.session_id === 'string' ? req.query.session_id : '';
    const session = /^cs_[\w]{1,200}$/.test(sessionId) ? await findCheckoutSession(deps.db, sessionId) : undefined;
    const amount = session ? formatMoney(session.amount, session.currency) : undefined;
    const what = session?.interval === 'once' ? 'gift' : 'membership';
    const body = session
      ? html`<h1>Thank you!</h1><p>Your ${what} of <strong>${amount}</strong>${session.interval === 'once' ? '' : ` per ${session.interval}`} keeps independent journalism going.</p>
          <p><a href="${session.article_url}">Back to the article</a></p>`
      : html`<h1>Thank you!</h1><p>Your support keeps independent journalism going.</p>`;
    res.type('html').send(page('Thank you', body));
  });

  return router;
}

function donateForm(publication: PublicationRow, publicUrl: string) {
  const currency = publication.default_currency;
  const settings = publication.currencies[currency]!;
  const intervals = publication.intervals.map(
    (interval, i) => html`<label><input type="radio" name="interval" value="${interval}" ${i === 0 ? html`checked` : ''}> ${INTERVAL_LABELS[interval]}</label>`,
  );
  const presets = (settings.presets.once ?? settings.presets[publication.intervals[0]!] ?? [settings.min]).map(
    (amount, i) => html`<label><input type="radio" name="amount" value="${amount}" ${i === 0 ? html`checked` : ''}> ${formatMoney(amount, currency, publication.default_locale)}</label>`,
  );
  return html`<h1>Support ${publication.name}</h1>
    <p>A small favour: if you appreciate our work, please support it.</p>
    <form method="post" action="/api/checkout">
      <input type="hidden" name="publication" value="${publication.slug}">
      <input type="hidden" name="currency" value="${currency}">
      <input type="hidden" name="article_url" value="${publication.origins[0] ?? publicUrl}/">
      <fieldset><legend>How often</legend>${intervals}</fieldset>
      <fieldset><legend>Amount</legend>${presets}</fieldset>
      <button type="submit">Donate</button>
    </form>`;
}
