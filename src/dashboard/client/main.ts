// favour's publisher dashboard (GET /dashboard): a publisher pastes an API key and reads the reports
// API (/api/reports/*) with it. The key lives in memory, and in sessionStorage only when "Remember for
// this tab" is ticked; it is only ever sent in the Authorization header, never in a URL.
import { ApiError, createApi, isUnauthorized, type Api } from './api.js';
import { LineChart, type LineSeries } from './charts.js';
import { byId, h } from './dom.js';
import { formatDayRange } from './format.js';
import { renderFunnel, renderGoal, renderOverview, renderReminderFunnel } from './overview.js';
import type { GoalProgress } from '../../goals/goal.service.js';
import { intervalFor, PRESETS, presetOf, presetRange, rangeProblem, type Preset, type Range } from './range.js';
import { setPanelState } from './status.js';
import { supporterFilterParams, SupportersView } from './supporters.js';
import { articlesTable, seriesTable, variantsTable } from './tables.js';
import { WebhooksView } from './webhooks.js';
import type { ArticlesReport, MembersSeries, MrrSeries, PerCurrency, RevenueSeries, Summary } from '../../reports/report-types.js';

const STORAGE_KEY = 'favour:dashboard:key';
const INVALID_KEY = 'This key is not valid. Check that you pasted the whole key and that it has not been revoked.';
const locale = navigator.languages?.[0] ?? navigator.language ?? undefined;

const state: {
  api: Api | undefined;
  today: string | undefined;
  timeZone: string;
  range: Range | undefined;
  generation: number;
} = { api: undefined, today: undefined, timeZone: 'UTC', range: undefined, generation: 0 };

const storage = {
  get(): string | null {
    try {
      return sessionStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
  },
  set(key: string | null): void {
    try {
      if (key === null) sessionStorage.removeItem(STORAGE_KEY);
      else sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // Storage refused (private mode, policy): the key stays in memory only.
    }
  },
};

const el = {
  boot: byId('boot'),
  signin: byId('signin'),
  signinForm: byId<HTMLFormElement>('signin-form'),
  keyInput: byId<HTMLInputElement>('api-key'),
  remember: byId<HTMLInputElement>('remember'),
  signinError: byId('signin-error'),
  signinSubmit: byId<HTMLButtonElement>('signin-submit'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  publication: byId('publication-label'),
  dashboard: byId('dashboard'),
  rangeForm: byId<HTMLFormElement>('range-form'),
  from: byId<HTMLInputElement>('range-from'),
  to: byId<HTMLInputElement>('range-to'),
  rangeError: byId('range-error'),
  rangeSummary: byId('range-summary'),
  articlesSort: byId<HTMLSelectElement>('articles-sort'),
};

const charts: Record<'revenue' | 'members' | 'mrr', LineChart | undefined> = { revenue: undefined, members: undefined, mrr: undefined };
const chartOf = (name: keyof typeof charts): LineChart =>
  (charts[name] ??= new LineChart(document.querySelector<HTMLElement>(`[data-chart="chart-${name}"]`)!));

const supporters = new SupportersView({
  api: () => state.api,
  locale,
  timeZone: () => state.timeZone,
  onUnauthorized: () => signOut(INVALID_KEY),
});

const webhooks = new WebhooksView({
  api: () => state.api,
  locale,
  timeZone: () => state.timeZone,
  onUnauthorized: () => signOut(INVALID_KEY),
});

// ---- signing in and out ----

function showSignIn(message?: string): void {
  el.boot.hidden = true;
  el.dashboard.hidden = true;
  el.signOut.hidden = true;
  el.signin.hidden = false;
  el.publication.textContent = 'Publisher dashboard';
  el.signinError.hidden = !message;
  el.signinError.textContent = message ?? '';
  el.keyInput.setAttribute('aria-invalid', String(Boolean(message)));
  el.keyInput.focus();
}

async function signIn(candidate: string, remember: boolean): Promise<void> {
  el.signinSubmit.disabled = true;
  el.signinSubmit.textContent = 'Checking the key…';
  try {
    // The range the API picks without one is its last 30 days: its "to" is the publication's today.
    const probe = await createApi(candidate).get<Summary>('/api/reports/summary');
    state.api = createApi(candidate);
    state.today = probe.to;
    state.timeZone = probe.time_zone;
    storage.set(remember ? candidate : null);
    el.keyInput.value = '';
    el.keyInput.removeAttribute('aria-invalid');
    el.publication.textContent = probe.publication;
    el.boot.hidden = el.signin.hidden = true;
    el.dashboard.hidden = el.signOut.hidden = false;
    document.title = `${probe.publication} · Dashboard · favour`;
    applyRange(presetRange('30d', probe.to));
    void supporters.reload();
    void webhooks.reload();
    byId('dashboard-title').focus({ preventScroll: true });
  } catch (err) {
    if (isUnauthorized(err)) {
      storage.set(null);
      showSignIn(INVALID_KEY);
    } else {
      showSignIn(`The key could not be checked: ${(err as Error).message}`);
      if (!el.keyInput.value) el.keyInput.value = candidate;
    }
  } finally {
    el.signinSubmit.disabled = false;
    el.signinSubmit.textContent = 'Show dashboard';
  }
}

function signOut(message?: string): void {
  state.api = undefined;
  state.generation++;
  storage.set(null);
  supporters.clear();
  webhooks.clear();
  // Nothing of the publication's stays on the page.
  for (const id of [
    'totals',
    'currency-cards',
    'funnel-steps',
    'funnel-note',
    'reminder-funnel',
    'articles-table',
    'variants-table',
    'range-summary',
  ])
    byId(id).replaceChildren();
  for (const name of Object.keys(charts) as (keyof typeof charts)[]) {
    charts[name]?.destroy();
    charts[name] = undefined;
    document.querySelector(`[data-chart="chart-${name}"]`)?.replaceChildren();
    document.querySelector(`[data-chart-table="chart-${name}"]`)?.replaceChildren();
  }
  document.title = 'Dashboard · favour';
  showSignIn(message);
}

el.signinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const candidate = el.keyInput.value.trim();
  if (!candidate) return showSignIn('Paste an API key first.');
  if (/\s/.test(candidate)) return showSignIn('An API key has no spaces: paste it again.');
  void signIn(candidate, el.remember.checked);
});
el.signOut.addEventListener('click', () => signOut());

// ---- the date range ----

function applyRange(range: Range): void {
  state.range = range;
  el.from.value = range.from;
  el.to.value = range.to;
  el.rangeError.hidden = true;
  const preset = state.today ? presetOf(range, state.today) : undefined;
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-preset]'))
    button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
  const interval = intervalFor(range);
  el.rangeSummary.textContent = `${formatDayRange(range.from, range.to, locale)} · charts by ${interval} · days in ${state.timeZone}`;
  byId('export-donations-hint').textContent = `Every payment from ${formatDayRange(range.from, range.to, locale)}.`;
  void loadReports();
}

el.rangeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const range = { from: el.from.value, to: el.to.value };
  const problem = rangeProblem(range);
  if (problem) {
    el.rangeError.textContent = problem;
    el.rangeError.hidden = false;
    return;
  }
  applyRange(range);
});
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
  button.addEventListener('click', () => {
    const preset = button.dataset.preset as Preset;
    if (state.today && PRESETS.includes(preset)) applyRange(presetRange(preset, state.today));
  });
}
el.articlesSort.addEventListener('change', () => {
  if (state.api && state.range) void loadArticles(state.api, state.range);
});

// ---- loading the reports ----

/** Runs one panel's request: loading state, stale answers dropped, 401 signs out, other errors inline with a retry. */
async function panelLoad<T>(
  panels: string[],
  isCurrent: () => boolean,
  fetcher: () => Promise<T>,
  render: (value: T) => void,
  retry: () => void,
): Promise<void> {
  for (const panel of panels) setPanelState(panel, { kind: 'loading' });
  try {
    const value = await fetcher();
    if (!isCurrent()) return;
    render(value);
    for (const panel of panels) setPanelState(panel, { kind: 'ready' });
  } catch (err) {
    if (!isCurrent()) return;
    if (isUnauthorized(err)) return signOut(INVALID_KEY);
    const message = err instanceof ApiError ? err.message : `Something went wrong: ${(err as Error).message}`;
    for (const panel of panels) setPanelState(panel, { kind: 'error', message, retry });
  }
}

function loadReports(): Promise<unknown> {
  const { api, range } = state;
  if (!api || !range) return Promise.resolve();
  const generation = ++state.generation;
  const interval = intervalFor(range);
  const series = <T>(metric: string) => api.get<T>('/api/reports/timeseries', { ...range, metric, interval });
  const again = () => void loadReports();
  const current = () => generation === state.generation;
  return Promise.all([
    panelLoad(
      ['overview', 'funnel', 'reminders'],
      current,
      () =>
        Promise.all([api.get<Summary>('/api/reports/summary', { ...range }), api.get<{ goal: GoalProgress | null }>('/api/reports/goal')]),
      ([summary, { goal }]) => {
        renderGoal(goal, locale);
        renderOverview(summary, locale);
        renderFunnel(summary, locale);
        renderReminderFunnel(summary, locale);
      },
      again,
    ),
    panelLoad(['chart-revenue'], current, () => series<RevenueSeries>('revenue'), drawRevenue, again),
    panelLoad(['chart-members'], current, () => series<MembersSeries>('members'), drawMembers, again),
    panelLoad(['chart-mrr'], current, () => series<MrrSeries>('mrr'), drawMrr, again),
    loadArticles(api, range),
  ]);
}

/** The articles panel has its own counter too: a new sort order while a range loads must win. */
let articlesSeq = 0;
function loadArticles(api: Api, range: Range): Promise<void> {
  const generation = state.generation;
  const seq = ++articlesSeq;
  return panelLoad(
    ['articles', 'variants'],
    () => generation === state.generation && seq === articlesSeq,
    () => api.get<ArticlesReport>('/api/reports/articles', { ...range, sort: el.articlesSort.value, limit: 20 }),
    (report) => {
      byId('articles-table').replaceChildren(articlesTable(report, locale));
      byId('variants-table').replaceChildren(variantsTable(report, locale));
    },
    () => {
      if (state.api && state.range) void loadArticles(state.api, state.range);
    },
  );
}

/** Currencies seen in per-currency points, largest total first; a missing currency in a point is 0. */
function perCurrency(points: PerCurrency[]): { currencies: string[]; values: (c: string) => number[] } {
  const totals: Record<string, number> = {};
  for (const p of points) for (const [c, v] of Object.entries(p)) totals[c] = (totals[c] ?? 0) + Math.abs(v);
  const currencies = Object.keys(totals).sort((a, b) => totals[b]! - totals[a]! || a.localeCompare(b));
  return { currencies, values: (c) => points.map((p) => p[c] ?? 0) };
}

function drawMoneyChart(
  name: 'revenue' | 'mrr',
  caption: string,
  metric: string,
  periods: string[],
  interval: string,
  points: PerCurrency[],
): void {
  const { currencies, values } = perCurrency(points);
  const series: LineSeries[] = currencies.map((c) => ({ label: c.toUpperCase(), currency: c, values: values(c) }));
  const monthly = interval === 'month';
  chartOf(name).draw({ periods, series, monthly, locale, label: PERIOD_LABEL[interval] ?? 'Period' });
  document
    .querySelector(`[data-chart-table="chart-${name}"]`)!
    .replaceChildren(
      seriesTable(
        { caption, periods, monthly, columns: series.map((s) => ({ label: s.label, metric, currency: s.currency!, values: s.values })) },
        locale,
      ),
    );
  describeChart(
    name,
    `${caption}: ${currencies.map((c) => c.toUpperCase()).join(', ') || 'no currency'}, ${periods.length} ${interval}s. The data table below has the numbers.`,
  );
}

const PERIOD_LABEL: Record<string, string> = { day: 'Day', week: 'Week of', month: 'Month' };

const drawRevenue = (r: RevenueSeries) =>
  drawMoneyChart(
    'revenue',
    `Net revenue per ${r.interval}`,
    'net',
    r.points.map((p) => p.period),
    r.interval,
    r.points.map((p) => p.net),
  );
const drawMrr = (r: MrrSeries) =>
  drawMoneyChart(
    'mrr',
    `Monthly recurring revenue at the end of each ${r.interval}`,
    'mrr',
    r.points.map((p) => p.period),
    r.interval,
    r.points.map((p) => p.mrr),
  );

function drawMembers(r: MembersSeries): void {
  const periods = r.points.map((p) => p.period);
  const values = r.points.map((p) => p.active_members);
  const monthly = r.interval === 'month';
  chartOf('members').draw({
    periods,
    series: [{ label: 'Active members', values }],
    monthly,
    locale,
    label: PERIOD_LABEL[r.interval] ?? 'Period',
  });
  document.querySelector('[data-chart-table="chart-members"]')!.replaceChildren(
    seriesTable(
      {
        caption: `Members per ${r.interval}`,
        periods,
        monthly,
        columns: [
          { label: 'Active at the end', metric: 'active_members', values },
          { label: 'New', metric: 'new_members', values: r.points.map((p) => p.new_members) },
          { label: 'Churned', metric: 'churned_members', values: r.points.map((p) => p.churned_members) },
        ],
      },
      locale,
    ),
  );
  describeChart(
    'members',
    `Active members at the end of each ${r.interval}, ${periods.length} ${r.interval}s. The data table below has the numbers.`,
  );
}

function describeChart(name: string, label: string): void {
  document.querySelector(`[data-chart="chart-${name}"]`)?.setAttribute('aria-label', label);
}

// ---- exports ----

async function download(
  button: HTMLButtonElement,
  hintId: string,
  path: string,
  params: Record<string, string | undefined>,
  fallbackName: string,
): Promise<void> {
  const api = state.api;
  if (!api) return;
  const label = button.textContent;
  const hint = byId(hintId);
  const problem = hint.parentElement?.querySelector('.form-error');
  problem?.remove();
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = 'Preparing…';
  try {
    const { blob, filename } = await api.download(path, params, fallbackName);
    const href = URL.createObjectURL(blob);
    const link = h('a', { href, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  } catch (err) {
    if (isUnauthorized(err)) return signOut(INVALID_KEY);
    hint.after(h('p', { class: 'form-error', role: 'alert' }, `The export failed: ${(err as Error).message}`));
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

byId<HTMLButtonElement>('export-supporters').addEventListener('click', (event) => {
  const params = Object.fromEntries(Object.entries(supporterFilterParams()).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
  void download(
    event.currentTarget as HTMLButtonElement,
    'export-supporters-hint',
    '/api/reports/supporters.csv',
    params,
    'supporters.csv',
  );
});
byId<HTMLButtonElement>('export-donations').addEventListener('click', (event) => {
  const range = state.range;
  if (!range) return;
  void download(
    event.currentTarget as HTMLButtonElement,
    'export-donations-hint',
    '/api/reports/donations.csv',
    { ...range },
    `donations-${range.from}-${range.to}.csv`,
  );
});

// ---- start ----

// Used as a focus target after signing in (the heading is not otherwise focusable).
byId('dashboard-title').setAttribute('tabindex', '-1');
const stored = storage.get();
if (stored) {
  el.boot.textContent = 'Signing in…';
  el.boot.hidden = false;
  el.remember.checked = true;
  void signIn(stored, true);
} else {
  showSignIn();
}
