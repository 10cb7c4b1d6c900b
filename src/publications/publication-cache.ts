import type { DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { listPublications } from './publication.repository.js';

/** Publications by slug from memory: the article-page paths (widget config, beacons, CORS) read no table. */
export interface PublicationCache {
  bySlug(slug: string): Promise<PublicationRow | undefined>;
  all(): Promise<PublicationRow[]>;
  /** A publication changed (here, or on another instance: NOTIFY): the next read loads them again. */
  invalidate(): void;
}

/** The channel the publications table notifies at every change (migration 1200). */
export const PUBLICATIONS_CHANNEL = 'favour_publications';

// Changes arrive by notification at once; this bounds how stale a missed one can leave an instance.
const MAX_AGE_MS = 60_000;

export function createPublicationCache(db: DbExecutor, now: () => number = Date.now): PublicationCache {
  let loaded: { at: number; rows: Promise<PublicationRow[]>; bySlug: Promise<Map<string, PublicationRow>> } | undefined;
  function current() {
    if (!loaded || now() - loaded.at > MAX_AGE_MS) {
      const rows = listPublications(db);
      const entry = { at: now(), rows, bySlug: rows.then((list) => new Map(list.map((p) => [p.slug, p]))) };
      // A failed load is not kept: the next read tries again.
      rows.catch(() => {
        if (loaded === entry) loaded = undefined;
      });
      loaded = entry;
    }
    return loaded;
  }
  return {
    bySlug: async (slug) => (await current().bySlug).get(slug),
    all: () => current().rows,
    invalidate: () => {
      loaded = undefined;
    },
  };
}
