import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import { claimPortalPass, findCheckoutSession } from '../checkout/checkout-session.repository.js';
import type { Db } from '../db/database.js';
import type { CheckoutSessionRow } from '../db/tables/checkout-session.table.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { redactEmails } from '../http/redact.js';
import { findMembershipPeriodEnd } from '../memberships/membership.repository.js';
import { findPublicationById } from '../publications/publication.repository.js';
import { widgetSettingsOf } from '../publications/publication.service.js';
import type { CompletedCheckout } from './thanks.page.js';

const DAY = 86_400;
/** The billing portal opens from the thank-you page for an hour after the paying browser first saw it. */
export const PORTAL_PASS_SECONDS = 3600;
// A reload while the webhook is late asks Stripe again, but not more often than this per session.
const STRIPE_LOOKUP_EVERY_MS = 5_000;
const REMEMBERED_LOOKUPS = 10_000;

const SESSION_ID = /^cs_(?:test_|live_)?[A-Za-z0-9]{1,200}$/;
const PASS = /^[\w-]{43}$/;

export interface CheckoutLookup {
  publication: PublicationRow;
  checkout: CompletedCheckout;
  customerId: string | null;
  locale: string | null;
  /** A pass this view just issued (the first view of the session): the route puts it in the cookie. */
  newPass: string | undefined;
}

export type PortalOutcome =
  | { kind: 'redirect'; url: string; lookup: CheckoutLookup }
  | { kind: 'unknown_session' }
  | { kind: 'not_a_member'; lookup: CheckoutLookup }
  | { kind: 'other_browser'; lookup: CheckoutLookup }
  | { kind: 'stripe_failed'; lookup: CheckoutLookup };

export interface ThanksService {
  /** What the reader just did, for the thank-you page; the first view of a membership issues the portal pass. */
  showThanks(sessionId: string, pass: string | undefined): Promise<CheckoutLookup | undefined>;
  /** A billing-portal session for the member, when this browser holds the session's pass. */
  openBillingPortal(sessionId: string, pass: string | undefined): Promise<PortalOutcome>;
}

export interface ThanksServiceDeps {
  db: Db;
  stripe: Stripe | undefined;
  logger: Logger;
  now: () => Date;
}

interface StripeFacts {
  status: string | undefined;
  paymentStatus: string;
  customerId: string | null;
  subscriptionId: string | null;
}

const hashPass = (pass: string): string => createHash('sha256').update(pass).digest('hex');

/**
 * The thank-you page and the billing portal behind it. Only sessions favour created are looked at, and Stripe
 * is asked about one only while its webhook has not told us it completed: a stranger's made-up ids cost no
 * Stripe calls. The portal opens only for the browser that paid (it got a pass in a cookie on its first
 * view), within an hour: a session id in a log, a browser history or a shared link opens nothing.
 */
export function createThanksService(deps: ThanksServiceDeps): ThanksService {
  const { db, stripe, logger } = deps;
  // The last answer Stripe gave per session, reused for a few seconds: reloads and the portal button that
  // follows the thank-you page cost one Stripe call between them.
  const recentStripeAnswers = new Map<string, { at: number; facts: StripeFacts | undefined }>();

  async function askStripe(sessionId: string): Promise<StripeFacts | undefined> {
    if (!stripe) return undefined;
    const at = deps.now().getTime();
    const recent = recentStripeAnswers.get(sessionId);
    if (recent && at - recent.at < STRIPE_LOOKUP_EVERY_MS) return recent.facts;
    const session = await stripe.checkout.sessions.retrieve(sessionId).catch((err: Error) => {
      logger.warn({ stripe_message: redactEmails(String(err.message)) }, 'checkout session lookup failed');
      return undefined;
    });
    const facts = session && {
      status: session.status ?? undefined,
      paymentStatus: session.payment_status,
      customerId: typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null),
      subscriptionId: typeof session.subscription === 'string' ? session.subscription : (session.subscription?.id ?? null),
    };
    recentStripeAnswers.delete(sessionId);
    recentStripeAnswers.set(sessionId, { at, facts });
    // Maps keep insertion order: the oldest entry goes first.
    if (recentStripeAnswers.size > REMEMBERED_LOOKUPS) recentStripeAnswers.delete(recentStripeAnswers.keys().next().value!);
    return facts;
  }

  function holdsPass(row: CheckoutSessionRow, pass: string | undefined): boolean {
    if (!pass || !PASS.test(pass) || !row.portal_pass_hash || !row.portal_pass_issued_at) return false;
    const fresh = deps.now().getTime() - row.portal_pass_issued_at.getTime() <= PORTAL_PASS_SECONDS * 1000;
    return fresh && timingSafeEqual(Buffer.from(hashPass(pass)), Buffer.from(row.portal_pass_hash));
  }

  async function lookUp(sessionId: string, pass: string | undefined, issuePass: boolean): Promise<CheckoutLookup | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const row = await findCheckoutSession(db, sessionId);
    if (!row) return undefined;
    const publication = await findPublicationById(db, row.publication_id);
    if (!publication) return undefined;

    let status: string = row.status;
    let { payment_status: paymentStatus, customer_id: customerId, subscription_id: subscriptionId } = row;
    const told = status === 'complete' ? undefined : await askStripe(sessionId);
    if (told) {
      status = told.status ?? status;
      paymentStatus = told.paymentStatus;
      customerId = told.customerId ?? customerId;
      subscriptionId = told.subscriptionId ?? subscriptionId;
    }

    const now = deps.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const member = row.interval !== 'once';
    const complete = status === 'complete';
    const paid = complete && paymentStatus !== 'unpaid';
    let newPass: string | undefined;
    // Stripe sends only the payer here once the session completes: the first view then is theirs.
    if (issuePass && member && complete) {
      const candidate = randomBytes(32).toString('base64url');
      if (await claimPortalPass(db, sessionId, hashPass(candidate), now)) newPass = candidate;
    }
    let supporterUntil = nowSeconds + widgetSettingsOf(publication).supporter_days * DAY;
    if (member) {
      const periodEnd = subscriptionId ? await findMembershipPeriodEnd(db, subscriptionId) : null;
      supporterUntil = periodEnd ? Math.floor(periodEnd.getTime() / 1000) : nowSeconds + (row.interval === 'year' ? 366 : 31) * DAY;
    }
    return {
      publication,
      customerId,
      locale: row.locale,
      newPass,
      checkout: {
        sessionId,
        amount: row.amount,
        currency: row.currency,
        interval: row.interval,
        paid,
        articleUrl: row.article_url,
        supporterUntil,
        canManage: member && complete && Boolean(stripe) && customerId !== null && (newPass !== undefined || holdsPass(row, pass)),
      },
    };
  }

  return {
    showThanks: (sessionId, pass) => lookUp(sessionId, pass, true),

    async openBillingPortal(sessionId, pass) {
      const lookup = await lookUp(sessionId, pass, false);
      if (!lookup) return { kind: 'unknown_session' };
      if (lookup.checkout.interval === 'once' || !stripe) return { kind: 'not_a_member', lookup };
      if (!lookup.checkout.canManage || !lookup.customerId) return { kind: 'other_browser', lookup };
      try {
        const portal = await stripe.billingPortal.sessions.create({ customer: lookup.customerId, return_url: lookup.checkout.articleUrl });
        return { kind: 'redirect', url: portal.url, lookup };
      } catch (err) {
        // Stripe's messages can quote the request: no e-mail addresses in the log.
        logger.error({ stripe_message: redactEmails(String((err as Error).message)) }, 'billing portal session create failed');
        return { kind: 'stripe_failed', lookup };
      }
    },
  };
}
