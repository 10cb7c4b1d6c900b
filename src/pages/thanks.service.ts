import type Stripe from 'stripe';
import { findCheckoutSession } from '../checkout/checkout-session.repository.js';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { findPublicationBySlug } from '../publications/publication.repository.js';
import { widgetSettingsOf } from '../publications/publication.service.js';
import type { CompletedCheckout } from './thanks.page.js';

const DAY = 86_400;
// The portal link on the thank-you page works for a day; later, readers use the link in Stripe's e-mails.
const MANAGE_WINDOW_SECONDS = DAY;

export interface CheckoutLookup {
  publication: PublicationRow;
  checkout: CompletedCheckout;
  customerId: string | null;
  locale: string | null;
}

/**
 * What the reader just did, from our database and, while the webhook has not arrived yet, from Stripe.
 * Only sessions of our publications are shown.
 */
export async function lookUpCheckout(deps: { db: Db; stripe: Stripe | undefined; now: () => Date }, sessionId: string): Promise<CheckoutLookup | undefined> {
  if (!/^cs_(test_|live_)?[A-Za-z0-9]{1,200}$/.test(sessionId)) return undefined;
  const row = await findCheckoutSession(deps.db, sessionId);
  let status: string | undefined = row?.status;
  let paymentStatus = row?.payment_status ?? null;
  let customerId = row?.customer_id ?? null;
  let subscriptionId = row?.subscription_id ?? null;
  let facts = row
    ? { publicationSlug: undefined as string | undefined, publicationId: row.publication_id, amount: row.amount, currency: row.currency, interval: row.interval, articleUrl: row.article_url, created: row.created_at.getTime() / 1000, locale: row.locale }
    : undefined;

  if ((!row || status !== 'complete') && deps.stripe) {
    const session = await deps.stripe.checkout.sessions.retrieve(sessionId).catch(() => undefined);
    const slug = session?.metadata?.publication;
    if (session && slug) {
      status = session.status ?? status;
      paymentStatus = session.payment_status;
      customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? customerId);
      subscriptionId = typeof session.subscription === 'string' ? session.subscription : (session.subscription?.id ?? subscriptionId);
      facts ??= {
        publicationSlug: slug,
        publicationId: -1,
        amount: session.amount_total ?? 0,
        currency: session.currency ?? '',
        interval: (session.metadata?.interval as 'once' | 'month' | 'year') ?? 'once',
        articleUrl: session.metadata?.article_url ?? '',
        created: session.created,
        locale: session.locale ?? null,
      };
    }
  }
  if (!facts) return undefined;
  const publication = facts.publicationSlug
    ? await findPublicationBySlug(deps.db, facts.publicationSlug)
    : await deps.db.selectFrom('publications').selectAll().where('id', '=', facts.publicationId).executeTakeFirst();
  if (!publication || !facts.articleUrl) return undefined;

  const now = Math.floor(deps.now().getTime() / 1000);
  const member = facts.interval !== 'once';
  let supporterUntil = now + widgetSettingsOf(publication).supporter_days * DAY;
  if (member) {
    const membership = subscriptionId
      ? await deps.db.selectFrom('memberships').select('current_period_end').where('subscription_id', '=', subscriptionId).executeTakeFirst()
      : undefined;
    supporterUntil = membership?.current_period_end ? Math.floor(membership.current_period_end.getTime() / 1000) : now + (facts.interval === 'year' ? 366 : 31) * DAY;
  }
  return {
    publication,
    customerId,
    locale: facts.locale,
    checkout: {
      sessionId,
      amount: facts.amount,
      currency: facts.currency,
      interval: facts.interval,
      paid: status === 'complete' && paymentStatus !== 'unpaid',
      articleUrl: facts.articleUrl,
      supporterUntil,
      canManage: member && Boolean(deps.stripe) && customerId !== null && now - facts.created <= MANAGE_WINDOW_SECONDS,
    },
  };
}
