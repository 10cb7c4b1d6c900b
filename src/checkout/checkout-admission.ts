import type { Logger } from 'pino';
import { isRateLimited, type RateLimits } from '../http/rate-limit.js';

/** Decides whether a valid checkout request may go on to Stripe. */
export interface CheckoutAdmission {
  /** Counts one checkout for `publication` from `client`; throws a 429 HttpError when refused. */
  admit(publication: string, client: string): Promise<void>;
}

// One warning a minute per publication is enough to page someone without flooding the log.
const WARN_EVERY_MS = 60_000;

/**
 * The publication's ceiling is shared by all readers, so it must not become a switch that anyone with a few
 * addresses can throw to stop every donation. Past the ceiling, each client gets a much smaller budget of
 * its own instead: an attacker is slowed to a trickle per address while a reader's one checkout still goes.
 */
export function createCheckoutAdmission(
  limits: Pick<RateLimits, 'checkoutPerPublication' | 'checkoutPerIpUnderLoad'>,
  logger: Logger,
  now: () => Date = () => new Date(),
): CheckoutAdmission {
  const lastWarned = new Map<string, number>();
  return {
    async admit(publication, client) {
      try {
        await limits.checkoutPerPublication.consume(publication);
        return;
      } catch (err) {
        if (!isRateLimited(err)) throw err;
      }
      const at = now().getTime();
      if (at - (lastWarned.get(publication) ?? 0) >= WARN_EVERY_MS) {
        lastWarned.set(publication, at);
        logger.warn({ publication }, 'checkout ceiling reached for this publication: each client now gets the tighter under-load limit');
      }
      await limits.checkoutPerIpUnderLoad.consume(`${publication}|${client}`);
    },
  };
}
