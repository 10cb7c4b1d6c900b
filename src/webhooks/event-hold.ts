import type { HoldReason } from '../db/tables/stripe-mirror.table.js';
import { STRIPE_API_VERSION } from '../stripe/stripe-client.js';

export type { HoldReason };

/** The mode a secret or restricted key works in; undefined when there is no key, or it says neither. */
export function livemodeOfKey(secretKey: string | undefined): boolean | undefined {
  if (!secretKey) return undefined;
  if (/^(?:sk|rk)_live_/.test(secretKey)) return true;
  if (/^(?:sk|rk)_test_/.test(secretKey)) return false;
  return undefined;
}

/**
 * Whether an event may be applied. An event without an api_version is taken as it is: Stripe sets one on every
 * event it sends, so only tools and tests leave it out.
 */
export function holdReasonOf(
  event: { api_version?: string | null; livemode: boolean },
  expectedLivemode: boolean | undefined,
): HoldReason | null {
  if (expectedLivemode !== undefined && event.livemode !== expectedLivemode) return 'livemode_mismatch';
  if (typeof event.api_version === 'string' && event.api_version !== STRIPE_API_VERSION) return 'api_version_mismatch';
  return null;
}
