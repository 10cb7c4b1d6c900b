import type { RequestHandler } from 'express';
import { type ApiKeyIdentity, authenticateApiKey } from '../api-keys/api-key.service.js';
import type { Db } from '../db/database.js';
import { HttpError } from './http-error.js';

declare module 'express-serve-static-core' {
  interface Locals {
    apiKey?: ApiKeyIdentity;
  }
}

/**
 * Requires `Authorization: Bearer <key>`: 401 without a live key. A `publication` query parameter
 * naming another publication than the key's is refused with 403 (a key reads one publication only).
 */
export function requireApiKey(db: Db, now: () => Date): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw new HttpError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>" (create one with "favour key create").');
    const key = await authenticateApiKey(db, match[1]!, now());
    if (!key) throw new HttpError(401, 'unauthorized', 'This API key is not valid (unknown or revoked).');
    const asked = typeof req.query.publication === 'string' ? req.query.publication : undefined;
    if (asked !== undefined && asked !== key.publicationSlug) {
      throw new HttpError(403, 'forbidden', `This API key belongs to another publication than "${asked}".`, 'publication');
    }
    res.locals.apiKey = key;
    req.log?.info({ api_key: key.label, api_key_id: key.id, publication: key.publicationSlug }, 'report request');
    next();
  };
}
