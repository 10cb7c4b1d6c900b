import cors from 'cors';
import type { RequestHandler } from 'express';
import type { PublicationCache } from '../publications/publication-cache.js';

/**
 * CORS for the endpoints the widget calls from publishers' pages: only origins registered on some
 * publication may read the answers. Each endpoint still checks the article belongs to *its* publication.
 */
export function publicationCors(publications: PublicationCache): RequestHandler {
  const allowedOrigins = registeredOrigins(publications);
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

/** Every origin registered on some publication, rebuilt only when the cache loads a new list of publications. */
export function registeredOrigins(publications: PublicationCache): () => Promise<Set<string>> {
  let cached: { from: unknown; origins: Set<string> } | undefined;
  return async () => {
    const all = await publications.all();
    if (cached?.from !== all) cached = { from: all, origins: new Set(all.flatMap((p) => p.origins)) };
    return cached.origins;
  };
}

/** For public, cacheable resources (widget script and configuration) any page may load. */
export const openCors: RequestHandler = cors({ origin: '*', methods: ['GET'], maxAge: 86_400 });
