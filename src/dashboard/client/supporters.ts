// The supporters table: search (q), a filter (membership status, one-off givers, lapsed members),
// keyset paging with the API's next_cursor (previous pages are the cursors seen on the way).
import { ApiError, type Api, type Params } from './api.js';
import { byId, countEl, h, moneyEl, table } from './dom.js';
import { formatMoney, formatTimestamp } from './format.js';
import { setPanelState } from './status.js';
import type { Supporter, SupportersPage } from '../../reports/report-types.js';

const STATUS_LABEL: Record<string, string> = {
  active: 'Active',
  trialing: 'Trialing',
  past_due: 'Past due',
  unpaid: 'Unpaid',
  paused: 'Paused',
  canceled: 'Cancelled',
  incomplete: 'Incomplete',
  incomplete_expired: 'Incomplete, expired',
};
const INTERVAL_LABEL: Record<string, string> = { month: 'month', year: 'year' };

/** The API parameters of the search form (also used by the supporters CSV export). */
export function supporterFilterParams(): Params {
  const q = byId<HTMLInputElement>('supporters-q').value.trim();
  const filter = byId<HTMLSelectElement>('supporters-filter').value;
  return {
    q: q || undefined,
    status: filter.startsWith('status:') ? filter.slice('status:'.length) : undefined,
    one_off_only: filter === 'one_off' ? 'true' : undefined,
    lapsed: filter === 'lapsed' ? 'true' : undefined,
  };
}

export interface SupportersDeps {
  api: () => Api | undefined;
  locale: string | undefined;
  timeZone: () => string;
  onUnauthorized: () => void;
}

export class SupportersView {
  /** cursors[i] is the cursor that fetches page i (undefined for the first). */
  private cursors: (string | undefined)[] = [undefined];
  private page = 0;
  private next: string | null = null;
  private generation = 0;
  private readonly prev = byId<HTMLButtonElement>('supporters-prev');
  private readonly nextButton = byId<HTMLButtonElement>('supporters-next');

  constructor(private readonly deps: SupportersDeps) {
    byId<HTMLFormElement>('supporters-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.reload();
    });
    byId<HTMLSelectElement>('supporters-filter').addEventListener('change', () => void this.reload());
    byId<HTMLSelectElement>('supporters-size').addEventListener('change', () => void this.reload());
    this.prev.addEventListener('click', () => void this.go(this.page - 1, this.prev));
    this.nextButton.addEventListener('click', () => void this.go(this.page + 1, this.nextButton));
  }

  /** From the first page, with the form's current search and filter. */
  reload(): Promise<void> {
    this.cursors = [undefined];
    return this.go(0);
  }

  clear(): void {
    this.generation++;
    this.cursors = [undefined];
    this.page = 0;
    this.next = null;
    byId('supporters-table').replaceChildren();
    byId('supporters-page').textContent = '';
    this.prev.disabled = this.nextButton.disabled = true;
  }

  private async go(page: number, from?: HTMLButtonElement): Promise<void> {
    const api = this.deps.api();
    if (!api || page < 0) return;
    if (page > 0 && this.cursors[page] === undefined) {
      if (page !== this.page + 1 || !this.next) return;
      this.cursors[page] = this.next;
    }
    const generation = ++this.generation;
    setPanelState('supporters', { kind: 'loading' });
    this.prev.disabled = this.nextButton.disabled = true;
    const limit = Number(byId<HTMLSelectElement>('supporters-size').value) || 25;
    try {
      const result = await api.get<SupportersPage>('/api/reports/supporters', {
        ...supporterFilterParams(),
        limit,
        cursor: this.cursors[page],
      });
      if (generation !== this.generation) return;
      this.page = page;
      this.next = result.next_cursor;
      this.cursors.length = page + 1;
      this.render(result, limit);
      setPanelState('supporters', { kind: 'ready' });
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof ApiError && err.status === 401) return this.deps.onUnauthorized();
      setPanelState('supporters', { kind: 'error', message: (err as Error).message, retry: () => void this.go(page) });
      this.prev.disabled = this.page === 0;
      this.nextButton.disabled = !this.next;
      return;
    }
    this.prev.disabled = this.page === 0;
    this.nextButton.disabled = !this.next;
    // The button pressed may now be disabled (first or last page): keep the keyboard user in the table.
    if (from && from.disabled) byId('supporters-table').focus();
  }

  private render(result: SupportersPage, limit: number): void {
    const { locale } = this.deps;
    const zone = this.deps.timeZone();
    const rows = result.supporters.map((s) => this.row(s, locale, zone));
    const first = this.page * limit + 1;
    const range = result.supporters.length ? `${first}–${first + result.supporters.length - 1}` : 'none';
    const search = supporterFilterParams();
    const filtered = search.q || search.status || search.one_off_only || search.lapsed;
    byId('supporters-table').replaceChildren(
      table(
        `Supporters${filtered ? ' matching the search' : ''}, page ${this.page + 1} (${range})`,
        [
          { label: 'E-mail' },
          { label: 'Name' },
          { label: 'First support' },
          { label: 'Last support' },
          { label: 'Lifetime net', numeric: true },
          { label: 'Membership' },
        ],
        rows,
        filtered ? 'No supporter matches this search.' : 'No supporters yet.',
      ),
    );
    byId('supporters-page').textContent = result.supporters.length
      ? `Page ${this.page + 1} · supporters ${range}`
      : `Page ${this.page + 1}`;
  }

  private row(s: Supporter, locale: string | undefined, zone: string): HTMLTableRowElement {
    const lifetime = Object.entries(s.lifetime).sort(([a], [b]) => a.localeCompare(b));
    const m = s.membership;
    return h(
      'tr',
      { 'data-supporter-id': s.id, 'data-email': s.email },
      h('th', { scope: 'row', class: 'email' }, s.email),
      h('td', { class: 'name' }, s.name ?? h('span', { class: 'muted' }, '—')),
      h(
        'td',
        { 'data-metric': 'first_supported_at', 'data-value': s.first_supported_at ?? '' },
        formatTimestamp(s.first_supported_at, zone, locale),
      ),
      h(
        'td',
        { 'data-metric': 'last_supported_at', 'data-value': s.last_supported_at ?? '' },
        formatTimestamp(s.last_supported_at, zone, locale),
      ),
      h(
        'td',
        { class: 'n' },
        lifetime.length
          ? h(
              'span',
              { class: 'stack' },
              lifetime.map(([currency, t]) =>
                h(
                  'span',
                  null,
                  moneyEl({ metric: 'lifetime_net', currency, value: t.net }, locale),
                  h(
                    'span',
                    { class: 'muted small' },
                    ' · ',
                    countEl({ metric: 'lifetime_payments', currency, value: t.payments }, locale),
                    t.payments === 1 ? ' payment' : ' payments',
                  ),
                ),
              ),
            )
          : h('span', { class: 'muted' }, '—'),
      ),
      h(
        'td',
        null,
        m
          ? h(
              'span',
              { class: 'membership' },
              h(
                'span',
                { class: `badge badge-${m.status}`, 'data-metric': 'membership_status', 'data-value': m.status },
                STATUS_LABEL[m.status] ?? m.status,
              ),
              h(
                'span',
                { class: 'muted small' },
                ` ${formatMoney(m.amount, m.currency, locale)} / ${INTERVAL_LABEL[m.interval] ?? m.interval}`,
                m.cancel_at_period_end ? ', ends at period end' : '',
              ),
            )
          : h('span', { class: 'muted', 'data-metric': 'membership_status', 'data-value': '' }, 'None'),
      ),
    );
  }
}
