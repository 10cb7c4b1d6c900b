import type Stripe from 'stripe';
import type { DbExecutor } from '../../db/database.js';
import type { PublicationRow } from '../../db/tables/publication.table.js';
import type { EventOutcome } from '../../db/tables/stripe-mirror.table.js';
import { findPublicationBySlug } from '../../publications/publication.repository.js';

/** What one event handler gets: the open transaction, the event, and when the event happened at Stripe. */
export interface HandlerContext {
  trx: DbExecutor;
  event: Stripe.Event;
  occurredAt: Date;
}

export interface HandlerResult {
  outcome: EventOutcome;
  publicationId: number | null;
}

export const IGNORED: HandlerResult = { outcome: 'ignored', publicationId: null };

export const applied = (publicationId: number | null): HandlerResult => ({ outcome: 'applied', publicationId });

/** Stripe sends either an id or an expanded object for references. */
export function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

export const fromUnix = (seconds: number): Date => new Date(seconds * 1000);

/**
 * The publication an object belongs to, from the metadata checkout put on it. Objects without one
 * (other products on the same Stripe account) belong to no publication and are left alone.
 */
export async function publicationOf(trx: DbExecutor, metadata: Stripe.Metadata | null | undefined): Promise<PublicationRow | undefined> {
  const slug = metadata?.publication;
  return slug ? findPublicationBySlug(trx, slug) : undefined;
}

/** Attribution copied into metadata at checkout; empty strings mean "none". */
export function attribution(metadata: Stripe.Metadata | null | undefined): { article_url: string | null; variant: string | null } {
  return { article_url: metadata?.article_url || null, variant: metadata?.variant || null };
}

/** The fee cover checkout put in metadata (minor units), 0 when none or not a whole number. */
export function feeCoverIn(metadata: Stripe.Metadata | null | undefined): number {
  const value = metadata?.fee_cover;
  return value && /^\d{1,12}$/.test(value) ? Number(value) : 0;
}

/** Objects of the demo's synthetic history (made-up people): recorded like any other, never e-mailed. */
export const isSynthetic = (metadata: Stripe.Metadata | null | undefined): boolean => !!metadata?.synthetic;
