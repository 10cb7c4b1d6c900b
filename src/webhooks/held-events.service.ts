import Stripe from 'stripe';
import type { Db } from '../db/database.js';
import type { HoldReason } from '../db/tables/stripe-mirror.table.js';
import { redactEmails } from '../http/redact.js';
import { STRIPE_API_VERSION } from '../stripe/stripe-client.js';
import { holdReasonOf } from './event-hold.js';
import { listHeldEvents, markEventApplied, noteHeldEventError, releaseHeldEvent } from './event-inbox.repository.js';

export interface ReleaseHeldResult {
  /** Made pending again, to be applied by the applier. */
  released: number;
  /** What they name no longer exists at Stripe: marked applied with outcome "ignored". */
  gone: number;
  /** Still held, with why. */
  stillHeld: { id: string; reason: HoldReason; error: string }[];
}

/** Reads the current state of an object a held event names, in the API version favour is written against. */
function retrieverFor(stripe: Stripe, objectType: string): ((id: string) => Promise<{ id: string; deleted?: unknown }>) | undefined {
  switch (objectType) {
    case 'checkout.session':
      return (id) => stripe.checkout.sessions.retrieve(id);
    case 'invoice':
      return (id) => stripe.invoices.retrieve(id);
    case 'invoice_payment':
      return (id) => stripe.invoicePayments.retrieve(id);
    case 'subscription':
      return (id) => stripe.subscriptions.retrieve(id);
    case 'charge':
      return (id) => stripe.charges.retrieve(id);
    case 'dispute':
      return (id) => stripe.disputes.retrieve(id);
    case 'customer':
      return (id) => stripe.customers.retrieve(id);
    default:
      return undefined;
  }
}

type HeldPayload = Stripe.Event & { data: { object: { id?: unknown; object?: unknown } } };

/**
 * Makes held events appliable after the operator fixed the cause. An event of the other mode is released only
 * once STRIPE_SECRET_KEY is of its mode. An event in another API version cannot be re-rendered (Stripe keeps
 * events in the version of their day), so the object it names is fetched from Stripe in favour's version and
 * applied in its place, at the event's time: the handlers keep the newest state whatever the order, so the
 * books end as if the event had come right. `id` releases that event only.
 */
export async function releaseHeldEvents(
  deps: { db: Db; stripe: Stripe | undefined; expectedLivemode: boolean | undefined; now: () => Date },
  id?: string,
): Promise<ReleaseHeldResult> {
  const result: ReleaseHeldResult = { released: 0, gone: 0, stillHeld: [] };
  let after: { created: Date; id: string } | undefined;
  for (;;) {
    const page = await listHeldEvents(deps.db, 100, after, id);
    if (page.length === 0) return result;
    after = page[page.length - 1];
    for (const held of page) {
      const event = held.payload as HeldPayload;
      const keep = async (reason: HoldReason, error: string) => {
        await noteHeldEventError(deps.db, held.id, error);
        result.stillHeld.push({ id: held.id, reason, error });
      };
      const reason = holdReasonOf(event, deps.expectedLivemode);
      if (reason === null) {
        await releaseHeldEvent(deps.db, held.id, { json: JSON.stringify(event), apiVersion: event.api_version ?? null }, deps.now());
        result.released++;
        continue;
      }
      if (reason === 'livemode_mismatch') {
        await keep(reason, `a ${event.livemode ? 'live' : 'test'}-mode event; STRIPE_SECRET_KEY is of the other mode`);
        continue;
      }
      if (!deps.stripe) {
        await keep(reason, 'set STRIPE_SECRET_KEY: the objects this event names are fetched from Stripe');
        continue;
      }
      const objectId = typeof event.data.object.id === 'string' ? event.data.object.id : undefined;
      const retrieve = retrieverFor(deps.stripe, String(event.data.object.object));
      if (!objectId || !retrieve) {
        // A type favour does not act on: the applier marks it ignored, whatever its version.
        await releaseHeldEvent(deps.db, held.id, { json: JSON.stringify(event), apiVersion: event.api_version ?? null }, deps.now());
        result.released++;
        continue;
      }
      try {
        const current = await retrieve(objectId);
        if (current.deleted === true) throw new Stripe.errors.StripeInvalidRequestError({ code: 'resource_missing', message: 'deleted' });
        const rendered = { ...event, api_version: STRIPE_API_VERSION, data: { ...event.data, object: current } };
        await releaseHeldEvent(deps.db, held.id, { json: JSON.stringify(rendered), apiVersion: STRIPE_API_VERSION }, deps.now());
        result.released++;
      } catch (err) {
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') {
          await markEventApplied(deps.db, held.id, 'ignored', null, deps.now());
          result.gone++;
          continue;
        }
        await keep(reason, redactEmails(err instanceof Error ? err.message : String(err)).slice(0, 500));
      }
    }
  }
}
