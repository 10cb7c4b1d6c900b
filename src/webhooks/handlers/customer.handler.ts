import type Stripe from 'stripe';
import { recordCustomer } from '../../supporters/supporter.service.js';
import type { HandlerContext, HandlerResult } from './handler-context.js';

/**
 * customer.updated: a supporter changed their name or e-mail (e.g. in the billing portal). The
 * newest details win; a changed e-mail moves the customer's history to the supporter of that e-mail.
 */
export async function handleCustomerUpdated(ctx: HandlerContext): Promise<HandlerResult> {
  const customer = ctx.event.data.object as Stripe.Customer;
  const supporterId = await recordCustomer(ctx.trx, {
    id: customer.id,
    publicationId: null,
    email: customer.email,
    name: customer.name ?? null,
    observedAt: ctx.occurredAt,
  });
  return { outcome: supporterId === null ? 'stored' : 'applied', publicationId: null };
}
