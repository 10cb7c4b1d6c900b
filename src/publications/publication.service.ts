import type { Db, DbExecutor } from '../db/database.js';
import { recomputeRollups } from '../rollups/rollup.repository.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { defaultCurrencySettings } from './currency-defaults.js';
import {
  countPublications,
  findPublicationBySlug,
  insertPublication,
  insertPublicationIfAbsent,
  updatePublication,
} from './publication.repository.js';
import {
  emailSettingsSchema,
  type FeeCover,
  feeCoverSchema,
  type Goal,
  goalSchema,
  type PublicationInput,
  publicationInputSchema,
  widgetSettingsSchema,
} from './publication.schema.js';

export class PublicationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublicationError';
  }
}

/** Validates a publication description; throws PublicationError listing every problem. */
export function validatePublication(input: unknown): PublicationInput {
  const parsed = publicationInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'publication'}: ${i.message}`);
  throw new PublicationError(`Invalid publication:\n  - ${problems.join('\n  - ')}`);
}

export async function createPublication(db: DbExecutor, input: unknown): Promise<PublicationRow> {
  const publication = validatePublication(input);
  if (await findPublicationBySlug(db, publication.slug)) {
    throw new PublicationError(`A publication with slug "${publication.slug}" already exists; use "favour publication update".`);
  }
  return insertPublication(db, publication);
}

/** Applies a partial change to an existing publication and validates the result as a whole. */
export async function changePublication(db: Db, slug: string, change: Partial<PublicationInput>): Promise<PublicationRow> {
  return db.transaction().execute(async (trx) => {
    const current = await findPublicationBySlug(trx, slug);
    if (!current) throw new PublicationError(`No publication with slug "${slug}".`);
    const merged = validatePublication({ ...toPublicationInput(current), ...change, slug });
    const updated = await updatePublication(trx, current.id, merged);
    // Daily rollups are kept in the publication's local days: a new time zone moves every payment's day.
    if (merged.time_zone !== current.time_zone) await recomputeRollups(trx, current.id);
    return updated;
  });
}

export function toPublicationInput(row: PublicationRow): PublicationInput {
  return {
    slug: row.slug,
    name: row.name,
    origins: row.origins,
    currencies: row.currencies,
    default_currency: row.default_currency,
    intervals: row.intervals,
    default_locale: row.default_locale,
    time_zone: row.time_zone,
    widget: widgetSettingsOf(row),
    goal: goalOf(row),
    fee_cover: feeCoverOf(row),
    email: emailSettingsOf(row),
  };
}

/**
 * A part of the stored settings, parsed once per row: the cached rows serve every article view (a beacon checks its
 * variant, the configuration reads the goal). Read-only. A stored value the schema refuses reads as `fallback`.
 */
function parsedOncePerRow<T>(
  read: (settings: Record<string, unknown>) => unknown,
  parse: (stored: unknown) => T | undefined,
  fallback: () => T,
) {
  const parsed = new WeakMap<PublicationRow, T>();
  return (row: PublicationRow): T => {
    if (!parsed.has(row)) parsed.set(row, parse(read(row.settings)) ?? fallback());
    return parsed.get(row)!;
  };
}

/** The publication's widget settings with every default filled in. */
export const widgetSettingsOf = parsedOncePerRow(
  (settings) => settings.widget ?? {},
  (stored) => widgetSettingsSchema.safeParse(stored).data,
  () => widgetSettingsSchema.parse({}),
);

/** The publication's goal meter, or null. */
export const goalOf = parsedOncePerRow<Goal | null>(
  (settings) => settings.goal,
  (stored) => (stored ? goalSchema.safeParse(stored).data : undefined),
  () => null,
);

/** The publication's "cover the fees" rate, or null when not offered. */
export const feeCoverOf = parsedOncePerRow<FeeCover | null>(
  (settings) => settings.fee_cover,
  (stored) => (stored ? feeCoverSchema.safeParse(stored).data : undefined),
  () => null,
);

/** The publication's e-mail settings with every default filled in. */
export const emailSettingsOf = parsedOncePerRow(
  (settings) => settings.email ?? {},
  (stored) => emailSettingsSchema.safeParse(stored).data,
  () => emailSettingsSchema.parse({}),
);

/** The variant id when the publication defines it; a made-up one counts as none, so it cannot tilt an A/B result. */
export function knownVariant(row: PublicationRow, variant: string | undefined): string | undefined {
  return variant !== undefined && widgetSettingsOf(row).variants.some((v) => v.id === variant) ? variant : undefined;
}

/** The publication a newcomer gets on first start, so the demo page works at once. */
export function demoPublicationInput(publicUrl: string): PublicationInput {
  return validatePublication({
    slug: 'demo',
    name: 'The Demo Daily',
    origins: [publicUrl],
    currencies: { eur: defaultCurrencySettings('eur'), usd: defaultCurrencySettings('usd') },
    default_currency: 'eur',
    intervals: ['once', 'month', 'year'],
    default_locale: 'en',
    time_zone: 'UTC',
  });
}

/** Creates the demo publication when the database has none; returns it when created. */
export async function ensureDemoPublication(db: DbExecutor, publicUrl: string): Promise<PublicationRow | undefined> {
  if ((await countPublications(db)) > 0) return undefined;
  return insertPublicationIfAbsent(db, demoPublicationInput(publicUrl));
}
