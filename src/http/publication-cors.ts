import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Db } from '../db/database.js';
import { listPublications } from '../publications/publication.repository.js';

const ORIGINS_TTL_MS = 30_000;

/**
 * CORS for the endpoints the widget calls from publishers' pages: only origins registered on some
 * publication may read the answers. Each endpoint still checks the article belongs to *its* publication.
 */
export function publicationCors(db: Db, now: () => number = Date.now): RequestHandler {
  let cached: { origins: Set<string>; at: number } | undefined;
  async function allowedOrigins(): Promise<Set<string>> {
    if (!cached || now() - cached.at > ORIGINS_TTL_MS) {
      const publications = await listPublications(db);
      cached = { origins: new Set(publications.flatMap((p) => p.origins)), at: now() };
    }
    return cached.origins;
  }
  return cors({
    origin(origin, callback) {
      if (!origin) return callback(null, false);
      allowedOrigins().then(
        (origins) => callback(null, origins.has(origin)),
        (err: Error) => callback(err),
      );
    },
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Idempotency-Key'],
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
  });
}

/** For public, cacheable resources (widget script and configuration) any page may load. */
export const openCors: RequestHandler = cors({ origin: '*', methods: ['GET'], maxAge: 86_400 });
