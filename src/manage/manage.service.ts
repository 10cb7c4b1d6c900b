import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { queueEmail } from '../email/email-outbox.repository.js';
import { isRateLimited, type RateLimit } from '../http/rate-limit.js';
import { redactEmails } from '../http/redact.js';
import type { WidgetLang } from '../widget/widget-config.js';
import { findManageLink, memberByEmail, useManageLink } from './manage-link.repository.js';

export interface ManageServiceDeps {
  db: Db;
  stripe: Stripe | undefined;
  logger: Logger;
  /** Link requests per e-mail address (RATE_LIMIT_MANAGE_EMAIL): a stranger cannot flood a member's inbox. */
  perAddress: RateLimit;
  now: () => Date;
}

export type PortalOutcome = { kind: 'redirect'; url: string } | { kind: 'invalid' } | { kind: 'unavailable' };

/** "Manage without an account": a link by e-mail to members, and the billing portal for whoever holds a valid one. */
export function createManageService(deps: ManageServiceDeps) {
  const { db, logger } = deps;
  return {
    /**
     * Queues a link for the member behind `email`, if there is one. The caller answers the same whatever happens here,
     * so the page tells no one whether an address belongs to a member.
     */
    async requestLink(publication: PublicationRow, email: string, lang: WidgetLang): Promise<void> {
      try {
        await deps.perAddress.consume(`${publication.id}:${email}`);
      } catch (err) {
        if (isRateLimited(err)) return; // silently: the answer must not differ
        throw err;
      }
      const member = await memberByEmail(db, publication.id, email);
      if (!member) return;
      await queueEmail(db, {
        publicationId: publication.id,
        supporterId: member.supporterId,
        kind: 'manage_link',
        dedupeKey: `manage_link:${member.supporterId}:${deps.now().getTime()}`,
        data: { customer_id: member.customerId, lang },
      });
    },

    /** Whether a token can still open the portal (to show the button, or the way to a new link). */
    async linkIsValid(publication: PublicationRow, token: string): Promise<boolean> {
      const link = await findManageLink(db, token);
      return !!link && link.publication_id === publication.id && !link.used_at && link.expires_at > deps.now();
    },

    /** Uses the link once and opens Stripe's billing portal for its member. */
    async openPortal(publication: PublicationRow, token: string, returnUrl: string): Promise<PortalOutcome> {
      const link = await findManageLink(db, token);
      if (!link || link.publication_id !== publication.id) return { kind: 'invalid' };
      if (!deps.stripe) return { kind: 'unavailable' };
      if (!(await useManageLink(db, link.id, deps.now()))) return { kind: 'invalid' };
      try {
        const portal = await deps.stripe.billingPortal.sessions.create({ customer: link.customer_id, return_url: returnUrl });
        return { kind: 'redirect', url: portal.url };
      } catch (err) {
        logger.error({ err: redactEmails(String((err as Error).message)) }, 'billing portal session create failed (manage link)');
        return { kind: 'unavailable' };
      }
    },
  };
}

export type ManageService = ReturnType<typeof createManageService>;
