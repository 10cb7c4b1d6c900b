// The webhooks panel: the publication's outbound webhook endpoints (/api/webhooks…) with their health, adding one
// (its secret shown once), enabling, rotating the secret, removing; an endpoint's deliveries, and sending again.
import { ApiError, isUnauthorized, type Api } from './api.js';
import { byId, countEl, h, table } from './dom.js';
import { formatDateTime } from './format.js';
import { setPanelState } from './status.js';
import type {
  AddedWebhookEndpoint,
  RotatedWebhookSecret,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookReplay,
} from '../../outbound-webhooks/webhook-api-types.js';

export interface WebhooksDeps {
  api: () => Api | undefined;
  locale: string | undefined;
  timeZone: () => string;
  onUnauthorized: () => void;
}

const DELIVERY_STATUS: Record<WebhookDelivery['status'], string> = { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' };
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export class WebhooksView {
  private endpoints: WebhookEndpoint[] = [];
  /** The endpoint whose deliveries are open. */
  private open: WebhookEndpoint | undefined;
  private generation = 0;
  /** Changes with each sign-out: an answer for the key signed out of is dropped, never shown to the next one. */
  private session = 0;
  /** The latest deliveries request: an older answer (another filter) arriving late is dropped. */
  private deliveriesSeq = 0;
  private readonly message = byId('webhooks-message');
  private readonly form = byId<HTMLFormElement>('webhook-form');
  private readonly formError = byId('webhook-error');

  constructor(private readonly deps: WebhooksDeps) {
    byId('webhooks-table').addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
      const endpoint = this.endpoints.find((e) => e.id === button?.dataset.endpoint);
      if (button && endpoint) void this.act(button, endpoint);
    });
    byId('webhook-deliveries-table').addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-delivery]');
      if (button)
        void this.replay(
          button,
          `/api/webhooks/deliveries/${button.dataset.delivery}/replay`,
          undefined,
          `button[data-delivery="${button.dataset.delivery}"]`,
        );
    });
    byId<HTMLFormElement>('webhook-replay-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const since = byId<HTMLSelectElement>('webhook-replay-since').value;
      const button = (event.currentTarget as HTMLFormElement).querySelector<HTMLButtonElement>('button')!;
      if (this.open) void this.replay(button, `/api/webhooks/${this.open.id}/replay`, { since }, '#webhook-replay-form button');
    });
    byId<HTMLInputElement>('webhook-failed-only').addEventListener('change', () => void this.loadDeliveries());
    byId('webhook-deliveries-close').addEventListener('click', () => {
      const id = this.open?.id;
      this.closeDeliveries();
      // Back to where the reader came from.
      document.querySelector<HTMLElement>(`button[data-action="deliveries"][data-endpoint="${id}"]`)?.focus();
    });
    byId('webhook-secret-done').addEventListener('click', () => this.hideSecret());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add();
    });
  }

  async reload(): Promise<void> {
    const api = this.deps.api();
    if (!api) return;
    const generation = ++this.generation;
    setPanelState('webhooks', { kind: 'loading' });
    try {
      const { data } = (await api.get<{ data: WebhookEndpoint[] }>('/api/webhooks'))!;
      if (generation !== this.generation) return;
      this.endpoints = data;
      this.renderEndpoints();
      setPanelState('webhooks', { kind: 'ready' });
      if (this.open) {
        this.open = data.find((e) => e.id === this.open!.id);
        if (this.open) await this.loadDeliveries();
        else this.closeDeliveries();
      }
    } catch (err) {
      if (generation !== this.generation) return;
      if (isUnauthorized(err)) return this.deps.onUnauthorized();
      setPanelState('webhooks', { kind: 'error', message: messageOf(err), retry: () => void this.reload() });
    }
  }

  clear(): void {
    this.generation++;
    this.session++;
    this.endpoints = [];
    this.open = undefined;
    byId('webhooks-table').replaceChildren();
    byId('webhook-deliveries-table').replaceChildren();
    byId('webhook-deliveries').hidden = true;
    this.hideSecret();
    this.say('');
    this.formError.hidden = true;
    this.form.reset();
  }

  private renderEndpoints(): void {
    const { locale, timeZone } = this.deps;
    const rows = this.endpoints.map((e) => {
      const action = (name: string, label: string, what: string) =>
        h(
          'button',
          {
            type: 'button',
            class: 'button button-quiet button-small',
            'data-action': name,
            'data-endpoint': e.id,
            'aria-label': `${what} ${e.url}`,
          },
          label,
        );
      return h(
        'tr',
        { 'data-endpoint-id': e.id },
        h(
          'th',
          { scope: 'row', class: 'url-cell' },
          h('span', { class: 'url' }, e.url),
          e.description ? h('span', { class: 'hint' }, h('br'), e.description) : null,
        ),
        h('td', null, e.all_events ? 'All events' : e.events.join(', ')),
        h(
          'td',
          null,
          h('span', { class: `badge badge-${e.status}`, 'data-status': e.status }, e.status === 'enabled' ? 'Enabled' : 'Disabled'),
          e.status === 'disabled' && e.disabled_reason ? h('span', { class: 'hint' }, h('br'), e.disabled_reason) : null,
          e.status === 'enabled' && e.failing_since
            ? h('span', { class: 'hint' }, h('br'), `Failing since ${formatDateTime(e.failing_since, timeZone(), locale)}`)
            : null,
        ),
        h('td', { class: 'n' }, countEl({ metric: 'pending', value: e.pending }, locale)),
        h('td', { class: 'n' }, countEl({ metric: 'failed', value: e.failed }, locale)),
        h('td', null, formatDateTime(e.last_delivered_at, timeZone(), locale)),
        h(
          'td',
          null,
          h(
            'span',
            { class: 'endpoint-actions' },
            action('deliveries', 'Deliveries', 'Deliveries to'),
            e.status === 'disabled' ? action('enable', 'Enable', 'Enable') : null,
            action('rotate', 'Rotate secret', 'Rotate secret of'),
            action('remove', 'Remove', 'Remove'),
          ),
        ),
      );
    });
    byId('webhooks-table').replaceChildren(
      table(
        `Endpoints: ${this.endpoints.length}`,
        [
          { label: 'Endpoint' },
          { label: 'Events' },
          { label: 'Status' },
          { label: 'Pending', numeric: true },
          { label: 'Failed', numeric: true },
          { label: 'Last delivered' },
          { label: 'Actions' },
        ],
        rows,
        'No endpoints yet: add one below to tell your tools about supporters.',
      ),
    );
  }

  private async act(button: HTMLButtonElement, endpoint: WebhookEndpoint): Promise<void> {
    const path = `/api/webhooks/${endpoint.id}`;
    switch (button.dataset.action) {
      case 'deliveries': {
        const session = this.session;
        this.open = endpoint;
        byId('webhook-deliveries-title').textContent = `Deliveries to ${endpoint.url}`;
        byId('webhook-deliveries').hidden = false;
        await this.loadDeliveries();
        if (session === this.session && this.open?.id === endpoint.id) byId('webhook-deliveries-title').focus();
        return;
      }
      case 'enable':
        return this.change(button, async (api, current) => {
          await api.send('POST', `${path}/enable`);
          if (current()) this.say(`${endpoint.url} is enabled again; what waited is being delivered.`);
        });
      case 'rotate':
        if (!confirm(`Rotate the secret of ${endpoint.url}? The old secret keeps signing beside the new one for 24 hours.`)) return;
        return this.change(button, async (api, current) => {
          const rotated = (await api.send<RotatedWebhookSecret>('POST', `${path}/rotate-secret`))!;
          if (!current()) return;
          const until = formatDateTime(rotated.previous_secret_expires_at, this.deps.timeZone(), this.deps.locale);
          this.showSecret(
            `The new signing secret of ${endpoint.url}, shown this once. The old one signs beside it until ${until}: put the new one in the receiving tool before then.`,
            rotated.secret,
          );
        });
      case 'remove':
        if (!confirm(`Remove ${endpoint.url}? It will receive nothing more, and its delivery history goes with it.`)) return;
        return this.change(button, async (api, current) => {
          await api.send('DELETE', path);
          if (!current()) return;
          if (this.open?.id === endpoint.id) this.closeDeliveries();
          this.say(`${endpoint.url} is removed.`);
        });
    }
  }

  /**
   * Runs a change with its button busy, then shows the endpoints as they are now; a refusal is said in the panel.
   * `run` is given a `current` check: false once the dashboard was signed out of meanwhile, so nothing is shown.
   * Focus, lost when the tables are drawn anew, goes back to the same button (`refocus`) or to the endpoints table.
   */
  private async change(
    button: HTMLButtonElement,
    run: (api: Api, current: () => boolean) => Promise<void>,
    refocus = `button[data-action="${button.dataset.action}"][data-endpoint="${button.dataset.endpoint}"]`,
  ): Promise<void> {
    const api = this.deps.api();
    if (!api) return;
    const session = this.session;
    const current = () => session === this.session;
    this.say('');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await run(api, current);
    } catch (err) {
      if (!current()) return;
      if (isUnauthorized(err)) return this.deps.onUnauthorized();
      this.say(messageOf(err), true);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
    if (!current()) return;
    await this.reload();
    if (current() && (document.activeElement === document.body || !document.activeElement?.isConnected))
      (document.querySelector<HTMLElement>(refocus) ?? byId('webhooks-table')).focus();
  }

  private async add(): Promise<void> {
    const url = byId<HTMLInputElement>('webhook-url');
    const description = byId<HTMLInputElement>('webhook-description').value.trim();
    const events = [...this.form.querySelectorAll<HTMLInputElement>('input[name=events]:checked')].map((e) => e.value);
    this.formError.hidden = true;
    url.removeAttribute('aria-invalid');
    if (!url.value.trim()) return this.refuse(url, 'Type the URL your tool receives webhooks at.');
    const api = this.deps.api();
    const submit = byId<HTMLButtonElement>('webhook-add');
    if (!api) return;
    const session = this.session;
    submit.disabled = true;
    submit.textContent = 'Checking the URL…';
    try {
      const added = (await api.send<AddedWebhookEndpoint>('POST', '/api/webhooks', {
        url: url.value.trim(),
        ...(events.length ? { events } : {}),
        ...(description ? { description } : {}),
      }))!;
      if (session !== this.session) return;
      this.form.reset();
      this.showSecret(
        `The signing secret of ${added.url}, shown this once: put it in the receiving tool to verify each webhook.`,
        added.secret,
      );
      await this.reload();
    } catch (err) {
      if (session !== this.session) return;
      if (isUnauthorized(err)) return this.deps.onUnauthorized();
      this.refuse(url, messageOf(err));
    } finally {
      submit.disabled = false;
      submit.textContent = 'Add endpoint';
    }
  }

  private refuse(input: HTMLInputElement, message: string): void {
    this.formError.textContent = message;
    this.formError.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  private async loadDeliveries(): Promise<void> {
    const api = this.deps.api();
    const endpoint = this.open;
    if (!api || !endpoint) return;
    const failedOnly = byId<HTMLInputElement>('webhook-failed-only').checked;
    const box = byId('webhook-deliveries-table');
    const seq = ++this.deliveriesSeq;
    const latest = () => seq === this.deliveriesSeq && this.open?.id === endpoint.id;
    box.setAttribute('aria-busy', 'true');
    try {
      const { data } = (await api.get<{ data: WebhookDelivery[] }>(`/api/webhooks/${endpoint.id}/deliveries`, {
        failed: failedOnly ? 'true' : undefined,
        limit: 50,
      }))!;
      if (!latest()) return;
      box.replaceChildren(this.deliveriesTable(data, failedOnly));
    } catch (err) {
      if (!latest()) return;
      if (isUnauthorized(err)) return this.deps.onUnauthorized();
      this.say(messageOf(err), true);
    } finally {
      if (seq === this.deliveriesSeq) box.removeAttribute('aria-busy');
    }
  }

  private deliveriesTable(deliveries: WebhookDelivery[], failedOnly: boolean): HTMLTableElement {
    const { locale, timeZone } = this.deps;
    const when = (iso: string | null) => formatDateTime(iso, timeZone(), locale);
    const rows = deliveries.map((d) =>
      h(
        'tr',
        { 'data-delivery-id': d.id },
        h('th', { scope: 'row' }, h('code', null, d.type)),
        h('td', null, h('code', null, d.webhook_id)),
        h('td', null, h('span', { class: `badge badge-${d.status}`, 'data-status': d.status }, DELIVERY_STATUS[d.status])),
        h('td', { class: 'n' }, countEl({ metric: 'attempts', value: d.attempts }, locale)),
        h('td', { class: 'url' }, d.last_status !== null ? `HTTP ${d.last_status}` : (d.last_error ?? '—')),
        h('td', null, when(d.created_at)),
        h(
          'td',
          null,
          d.status === 'delivered'
            ? `Delivered ${when(d.delivered_at)}`
            : d.status === 'pending'
              ? `Next try ${when(d.next_attempt_at)}`
              : 'Given up',
        ),
        h(
          'td',
          null,
          d.status === 'pending'
            ? null
            : h(
                'button',
                {
                  type: 'button',
                  class: 'button button-quiet button-small',
                  'data-delivery': d.id,
                  'aria-label': `Send ${d.type} ${d.webhook_id} again`,
                },
                'Send again',
              ),
        ),
      ),
    );
    return table(
      `${plural(deliveries.length, failedOnly ? 'failed delivery' : 'delivery', failedOnly ? 'failed deliveries' : 'deliveries')}, newest first (the latest 50 at most)`,
      [
        { label: 'Event' },
        { label: 'webhook-id' },
        { label: 'Status' },
        { label: 'Attempts', numeric: true },
        { label: 'Last answer' },
        { label: 'Created' },
        { label: 'Outcome' },
        { label: 'Actions' },
      ],
      rows,
      failedOnly ? 'No failed deliveries.' : 'Nothing sent to this endpoint yet.',
    );
  }

  private async replay(button: HTMLButtonElement, path: string, body: { since: string } | undefined, refocus: string): Promise<void> {
    await this.change(
      button,
      async (api, current) => {
        const { replayed } = (await api.send<WebhookReplay>('POST', path, body))!;
        if (current())
          this.say(
            replayed === 0
              ? 'Nothing to send again in that time.'
              : `${plural(replayed, 'message', 'messages')} queued to be sent again, with the same webhook-id.`,
          );
      },
      refocus,
    );
  }

  private closeDeliveries(): void {
    this.open = undefined;
    byId('webhook-deliveries').hidden = true;
    byId('webhook-deliveries-table').replaceChildren();
  }

  private showSecret(text: string, secret: string): void {
    byId('webhook-secret-text').textContent = text;
    const input = byId<HTMLInputElement>('webhook-secret-value');
    input.value = secret;
    byId('webhook-secret').hidden = false;
    input.focus();
    input.select();
  }

  private hideSecret(): void {
    byId<HTMLInputElement>('webhook-secret-value').value = '';
    byId('webhook-secret-text').textContent = '';
    byId('webhook-secret').hidden = true;
  }

  /** A line in the panel: what a change did, or why it could not. */
  private say(text: string, isError = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('is-error', isError);
  }
}

function messageOf(err: unknown): string {
  return err instanceof ApiError ? err.message : `Something went wrong: ${(err as Error).message}`;
}
