import { WEBHOOK_EVENT_TYPES } from '../outbound-webhooks/webhook-api-types.js';
import { html, type SafeHtml } from '../pages/html.js';

/** Versioned URLs of the built assets, or undefined when `npm run build` has not made them. */
export interface DashboardAssets {
  js: string;
  css: string;
}

const STATUS_OPTIONS: [string, string][] = [
  ['status:active', 'Active members'],
  ['status:past_due', 'Past due'],
  ['status:trialing', 'Trialing'],
  ['status:paused', 'Paused'],
  ['status:unpaid', 'Unpaid'],
  ['status:canceled', 'Cancelled'],
  ['status:incomplete', 'Incomplete'],
  ['status:incomplete_expired', 'Incomplete, expired'],
];

/** A section with a heading, a status line for loading and errors, and a body the script fills. */
function panel(id: string, title: string, body: SafeHtml, extra: { intro?: string } = {}): SafeHtml {
  return html`<section class="panel" id="${id}" aria-labelledby="${id}-title">
  <div class="panel-head"><h2 id="${id}-title">${title}</h2>${extra.intro ? html`<p class="hint">${extra.intro}</p>` : ''}</div>
  <p class="panel-status" data-status-for="${id}" role="status" aria-live="polite"></p>
  ${body}
</section>`;
}

function chart(id: string, title: string, description: string): SafeHtml {
  return html`<figure class="chart-figure panel" id="${id}" aria-labelledby="${id}-title">
  <figcaption class="panel-head"><h3 id="${id}-title">${title}</h3><p class="hint">${description}</p></figcaption>
  <p class="panel-status" data-status-for="${id}" role="status" aria-live="polite"></p>
  <div class="chart" data-chart="${id}" role="img" aria-label="${title}"></div>
  <details class="chart-data"><summary>${title}: data table</summary><div class="table-wrap" data-chart-table="${id}"></div></details>
</figure>`;
}

/**
 * The dashboard's HTML shell: every control and section exists here, hidden until the script has a
 * key. No inline script or style, so the strict CSP holds; without JavaScript only a notice shows.
 */
export function renderDashboardPage(assets: DashboardAssets | undefined): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>Dashboard · favour</title>
<link rel="icon" href="data:,">
${assets ? html`<link rel="stylesheet" href="${assets.css}"><script src="${assets.js}" defer></script>` : html`<link rel="stylesheet" href="/assets/favour.css">`}
</head><body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <div class="topbar-inner">
    <p class="brand"><span class="brand-mark" aria-hidden="true">f</span><span>favour</span><span class="brand-sep" aria-hidden="true">/</span><span id="publication-label">Publisher dashboard</span></p>
    <button type="button" class="button button-quiet" id="sign-out" hidden>Sign out</button>
  </div>
</header>
<main id="main" tabindex="-1">
${
  assets
    ? html`<noscript><p class="notice">The dashboard needs JavaScript. The reports are also available as JSON and CSV from <code>/api/reports</code>.</p></noscript>`
    : html`<p class="notice" id="not-built">The dashboard is not built: run <code>npm run build</code> and reload this page.</p>`
}
<p class="notice" id="boot" role="status" aria-live="polite" hidden></p>

<section class="signin" id="signin" aria-labelledby="signin-title" hidden>
  <h1 id="signin-title">Publisher dashboard</h1>
  <p class="lede">Paste an API key of your publication to see its reader revenue, members, funnel and supporters.</p>
  <form id="signin-form" class="signin-form" novalidate>
    <div class="field">
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="api-key-hint signin-error">
      <p class="hint" id="api-key-hint">Create one with <code>favour key create</code>. The key is sent only to this service, with each request.</p>
    </div>
    <label class="check"><input type="checkbox" id="remember" name="remember" checked> Remember for this tab <span class="hint">(until the tab is closed; never stored on disk)</span></label>
    <p class="form-error" id="signin-error" role="alert" hidden></p>
    <button type="submit" class="button" id="signin-submit">Show dashboard</button>
  </form>
</section>

<div id="dashboard" class="dashboard" hidden>
  <section class="toolbar" aria-labelledby="dashboard-title">
    <div class="toolbar-title">
      <h1 id="dashboard-title">Reader revenue</h1>
      <p class="hint" id="range-summary" aria-live="polite"></p>
    </div>
    <form id="range-form" class="range-form" novalidate>
      <div class="presets" role="group" aria-label="Quick date ranges">
        <button type="button" class="chip" data-preset="30d" aria-pressed="false">30 days</button>
        <button type="button" class="chip" data-preset="90d" aria-pressed="false">90 days</button>
        <button type="button" class="chip" data-preset="12m" aria-pressed="false">12 months</button>
        <button type="button" class="chip" data-preset="ytd" aria-pressed="false">Year to date</button>
      </div>
      <div class="range-fields">
        <div class="field field-inline"><label for="range-from">From</label><input type="date" id="range-from" name="from" required></div>
        <div class="field field-inline"><label for="range-to">To</label><input type="date" id="range-to" name="to" required></div>
        <button type="submit" class="button">Apply</button>
      </div>
      <p class="form-error" id="range-error" role="alert" hidden></p>
    </form>
  </section>

  ${panel(
    'overview',
    'Overview',
    html`<div class="goal" id="goal" hidden></div><div class="totals" id="totals"></div><div class="currency-cards" id="currency-cards"></div>`,
    {
      intro: 'Money per currency, never added across currencies. Members and MRR as of the last day of the range.',
    },
  )}

  ${panel('funnel', 'Funnel', html`<ol class="funnel" id="funnel-steps"></ol><p class="hint" id="funnel-note"></p>`, {
    intro: 'From the appeal seen to the payment made, in the range.',
  })}

  ${panel('reminders', 'Remind me later', html`<p id="reminder-funnel"></p>`, {
    intro: 'Readers who asked to be reminded in the range: confirmed, reminded, and who gave within 14 days of the reminder.',
  })}

  <div class="charts">
    ${chart('chart-revenue', 'Net revenue', 'Gross minus refunds and lost disputes, one line per currency, in whole units of each currency.')}
    ${chart('chart-members', 'Active members', 'Paying members at the end of each period.')}
    ${chart('chart-mrr', 'Monthly recurring revenue', 'Yearly plans count as a twelfth; one line per currency.')}
  </div>

  ${panel(
    'articles',
    'Top articles',
    html`<div class="table-tools"><div class="field field-inline"><label for="articles-sort">Sort by</label>
      <select id="articles-sort"><option value="paid">Payments</option><option value="revenue">Net revenue</option><option value="impressions">Impressions</option><option value="conversion">Conversion</option></select></div></div>
    <div class="table-wrap" id="articles-table" role="region" aria-labelledby="articles-title" tabindex="0"></div>`,
    { intro: 'The 20 articles where the appeal did best in the range. Net per 1,000 impressions needs impressions counted by the widget.' },
  )}

  ${panel(
    'variants',
    'Appeal variants',
    html`<div class="table-wrap" id="variants-table" role="region" aria-labelledby="variants-title" tabindex="0"></div>`,
    {
      intro: 'The copy variants of the appeal, side by side.',
    },
  )}

  ${panel(
    'supporters',
    'Supporters',
    html`<form id="supporters-form" class="table-tools" role="search" novalidate>
      <div class="field field-grow"><label for="supporters-q">Search e-mail or name</label><input type="search" id="supporters-q" name="q" maxlength="200" autocomplete="off" spellcheck="false"></div>
      <div class="field"><label for="supporters-filter">Show</label><select id="supporters-filter" name="filter">
        <option value="all">Everyone</option>
        <optgroup label="Members by status">${STATUS_OPTIONS.map(([value, label]) => html`<option value="${value}">${label}</option>`)}</optgroup>
        <optgroup label="Other"><option value="one_off">One-off givers only</option><option value="lapsed">Lapsed members</option></optgroup>
      </select></div>
      <div class="field"><label for="supporters-size">Per page</label><select id="supporters-size" name="limit"><option>10</option><option selected>25</option><option>50</option><option>100</option></select></div>
      <button type="submit" class="button">Search</button>
    </form>
    <div class="table-wrap" id="supporters-table" role="region" aria-labelledby="supporters-title" tabindex="0"></div>
    <nav class="pager" aria-label="Supporters pages">
      <button type="button" class="button button-quiet" id="supporters-prev" disabled>Previous</button>
      <span id="supporters-page" class="pager-status" aria-live="polite"></span>
      <button type="button" class="button button-quiet" id="supporters-next" disabled>Next</button>
    </nav>`,
    { intro: 'Everyone who ever gave, newest first. Not limited to the date range.' },
  )}

  ${panel(
    'exports',
    'Export',
    html`<div class="exports">
      <div class="export"><button type="button" class="button" id="export-supporters">Download supporters (CSV)</button><p class="hint" id="export-supporters-hint">Everyone matching the supporter search and filter above.</p></div>
      <div class="export"><button type="button" class="button" id="export-donations">Download donations (CSV)</button><p class="hint" id="export-donations-hint">Every payment in the date range.</p></div>
    </div>`,
    { intro: 'UTF-8 CSV files that open in spreadsheet programs; amounts in whole units of each currency.' },
  )}

  ${panel(
    'webhooks',
    'Webhooks',
    html`<p class="hint" id="webhooks-message" role="status" aria-live="polite"></p>
    <div class="table-wrap" id="webhooks-table" role="region" aria-labelledby="webhooks-title" tabindex="0"></div>
    <div class="secret-notice" id="webhook-secret" hidden>
      <p id="webhook-secret-text"></p>
      <div class="secret-row"><label class="sr-only" for="webhook-secret-value">Signing secret</label><input id="webhook-secret-value" type="text" readonly autocomplete="off" spellcheck="false">
      <button type="button" class="button button-quiet button-small" id="webhook-secret-done">I have copied it</button></div>
    </div>
    <section class="deliveries" id="webhook-deliveries" aria-labelledby="webhook-deliveries-title" hidden>
      <div class="deliveries-head"><h3 id="webhook-deliveries-title" tabindex="-1">Deliveries</h3>
        <button type="button" class="button button-quiet button-small" id="webhook-deliveries-close">Close</button></div>
      <div class="table-tools">
        <label class="check"><input type="checkbox" id="webhook-failed-only"> Failed only</label>
        <form id="webhook-replay-form" class="field-inline replay-form" novalidate>
          <label for="webhook-replay-since">Send again every message of the last</label>
          <select id="webhook-replay-since"><option value="1h">hour</option><option value="24h" selected>24 hours</option><option value="7d">7 days</option><option value="30d">30 days</option></select>
          <button type="submit" class="button button-quiet button-small">Send again</button>
        </form>
      </div>
      <div class="table-wrap" id="webhook-deliveries-table" role="region" aria-labelledby="webhook-deliveries-title" tabindex="0"></div>
    </section>
    <form id="webhook-form" class="webhook-form" novalidate aria-labelledby="webhook-form-title">
      <h3 id="webhook-form-title">Add an endpoint</h3>
      <div class="field"><label for="webhook-url">URL</label><input id="webhook-url" name="url" type="url" inputmode="url" maxlength="2000" placeholder="https://crm.example/hooks/favour" autocomplete="off" spellcheck="false" required aria-describedby="webhook-error"></div>
      <div class="field"><label for="webhook-description">Description <span class="hint">(optional)</span></label><input id="webhook-description" name="description" type="text" maxlength="200" autocomplete="off"></div>
      <fieldset class="events">
        <legend class="field-label">Events</legend>
        <p class="hint">None ticked: every event, including any added later.</p>
        <div class="event-choices">${WEBHOOK_EVENT_TYPES.map((type) => html`<label class="check"><input type="checkbox" name="events" value="${type}"> <code>${type}</code></label>`)}</div>
      </fieldset>
      <p class="form-error" id="webhook-error" role="alert" hidden></p>
      <button type="submit" class="button" id="webhook-add">Add endpoint</button>
    </form>`,
    {
      intro:
        'Signed notifications (Standard Webhooks) to your newsletter tool, CRM or CMS when readers give, join or leave. Failed deliveries are retried for three days.',
    },
  )}
</div>
</main>
</body></html>`.value;
}
