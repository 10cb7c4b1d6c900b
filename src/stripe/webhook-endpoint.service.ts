import type Stripe from 'stripe';
import { HANDLED_EVENT_TYPES } from '../webhooks/apply-event.js';
import { STRIPE_API_VERSION } from './stripe-client.js';

/** What favour needs of its webhook endpoint: this API version, exactly these event types, enabled. */
export const WANTED_EVENT_TYPES: readonly string[] = [...HANDLED_EVENT_TYPES].sort();

export interface EndpointSummary {
  id: string;
  url: string;
  /** null: the account's default version, whatever it is on the day Stripe renders an event. */
  api_version: string | null;
  status: string;
  enabled_events: string[];
}

export interface EndpointCheck extends EndpointSummary {
  /** What differs from what favour needs; empty when the endpoint is right. */
  problems: string[];
}

export interface SetupResult {
  action: 'created' | 'updated' | 'unchanged';
  endpoint: EndpointSummary;
  /** The signing secret, which Stripe shows only when it creates an endpoint; null otherwise. */
  secret: string | null;
  /** Endpoints for the same URL in another API version, deleted: they could only send events favour holds. */
  removed: EndpointSummary[];
}

export interface CheckResult {
  url: string;
  api_version: string;
  event_types: readonly string[];
  endpoints: EndpointCheck[];
  /** Problems of the URL as a whole (no endpoint, or several). */
  problems: string[];
  ok: boolean;
}

const summary = (e: Stripe.WebhookEndpoint): EndpointSummary => ({
  id: e.id,
  url: e.url,
  api_version: e.api_version ?? null,
  status: e.status,
  enabled_events: [...e.enabled_events],
});

/** The URL of favour's webhook route, checked before anything is sent to Stripe. */
export function webhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL: give the full address, e.g. https://news.example/webhooks/stripe`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`"${raw}" must be an https:// URL`);
  return url.href;
}

/** What differs between an endpoint and what favour needs, in words an operator can act on. */
export function endpointProblems(endpoint: Pick<Stripe.WebhookEndpoint, 'api_version' | 'status' | 'enabled_events'>): string[] {
  const problems: string[] = [];
  if (endpoint.api_version !== STRIPE_API_VERSION) {
    problems.push(
      `API version ${endpoint.api_version ?? "(the account's default)"}, favour needs ${STRIPE_API_VERSION}: ` +
        'Stripe cannot change the version of an endpoint, `favour stripe setup` replaces it',
    );
  }
  if (endpoint.status === 'disabled') problems.push('disabled: Stripe sends it nothing');
  const enabled = new Set(endpoint.enabled_events);
  if (enabled.has('*')) {
    problems.push(`sends every event type; favour needs only ${WANTED_EVENT_TYPES.length} (the others are stored and ignored)`);
  } else {
    const missing = WANTED_EVENT_TYPES.filter((t) => !enabled.has(t));
    const extra = [...enabled].filter((t) => !WANTED_EVENT_TYPES.includes(t)).sort();
    if (missing.length > 0) problems.push(`missing event types: ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`event types favour does not handle: ${extra.join(', ')}`);
  }
  return problems;
}

async function endpointsAt(stripe: Stripe, url: string): Promise<Stripe.WebhookEndpoint[]> {
  const found: Stripe.WebhookEndpoint[] = [];
  for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) if (endpoint.url === url) found.push(endpoint);
  return found;
}

/** The account's endpoints for `url` and what differs from what favour needs. */
export async function checkWebhookEndpoints(stripe: Stripe, rawUrl: string): Promise<CheckResult> {
  const url = webhookUrl(rawUrl);
  const endpoints = (await endpointsAt(stripe, url)).map((e) => ({ ...summary(e), problems: endpointProblems(e) }));
  const problems: string[] = [];
  if (endpoints.length === 0) problems.push(`no webhook endpoint for ${url}: run \`favour stripe setup --url ${url}\``);
  if (endpoints.length > 1) {
    problems.push(
      `${endpoints.length} endpoints for ${url}: Stripe sends each event to every one, and STRIPE_WEBHOOK_SECRET verifies only ` +
        "one's signatures; `favour stripe setup` keeps one",
    );
  }
  const ok = problems.length === 0 && endpoints.every((e) => e.problems.length === 0);
  return { url, api_version: STRIPE_API_VERSION, event_types: WANTED_EVENT_TYPES, endpoints, problems, ok };
}

/**
 * Makes the account's endpoint for `url` what favour needs. An endpoint there in favour's API version is updated
 * (event types, enabled); otherwise one is created, and its signing secret returned. Endpoints there in another
 * version are deleted afterwards: Stripe cannot change an endpoint's version, and what they send is only held.
 */
export async function setUpWebhookEndpoint(stripe: Stripe, rawUrl: string): Promise<SetupResult> {
  const url = webhookUrl(rawUrl);
  const existing = await endpointsAt(stripe, url);
  const kept = existing.find((e) => e.api_version === STRIPE_API_VERSION);
  let result: Omit<SetupResult, 'removed'>;
  if (kept && endpointProblems(kept).length === 0) {
    result = { action: 'unchanged', endpoint: summary(kept), secret: null };
  } else if (kept) {
    const updated = await stripe.webhookEndpoints.update(kept.id, { enabled_events: [...WANTED_EVENT_TYPES] as never, disabled: false });
    result = { action: 'updated', endpoint: summary(updated), secret: null };
  } else {
    const created = await stripe.webhookEndpoints.create({
      url,
      api_version: STRIPE_API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
      enabled_events: [...WANTED_EVENT_TYPES] as never,
      description: 'favour: reader-revenue webhooks',
      metadata: { created_by: 'favour' },
    });
    result = { action: 'created', endpoint: summary(created), secret: created.secret ?? null };
  }
  const removed: EndpointSummary[] = [];
  for (const other of existing) {
    if (other.id === kept?.id) continue;
    await stripe.webhookEndpoints.del(other.id);
    removed.push(summary(other));
  }
  return { ...result, removed };
}
