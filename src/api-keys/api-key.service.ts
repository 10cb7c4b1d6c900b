import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbExecutor } from '../db/database.js';
import { findApiKeyByHash, insertApiKey, touchApiKey } from './api-key.repository.js';

const KEY_PREFIX = 'fav_';
const PRINTED_PREFIX_LENGTH = 12;

/** The key a report request authenticated with: never the key itself. */
export interface ApiKeyIdentity {
  id: number;
  label: string;
  publicationId: number;
  publicationSlug: string;
}

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Creates a key for a publication; the returned secret is shown once and never stored. */
export async function createApiKey(
  db: DbExecutor,
  publicationId: number,
  label: string,
): Promise<{ key: string; id: number; prefix: string }> {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const prefix = key.slice(0, PRINTED_PREFIX_LENGTH);
  const row = await insertApiKey(db, { publication_id: publicationId, label, prefix, key_hash: hashKey(key) });
  return { key, id: row.id, prefix };
}

/**
 * Finds the live key behind a presented secret. Keys are 192-bit random, so the SHA-256 lookup
 * leaks nothing useful; the final comparison is constant-time all the same.
 */
export async function authenticateApiKey(db: DbExecutor, presented: string, now: Date): Promise<ApiKeyIdentity | undefined> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return undefined;
  const hash = hashKey(presented);
  const row = await findApiKeyByHash(db, hash);
  if (!row || row.revoked_at) return undefined;
  if (!timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
  // Record use at most once a minute, so busy dashboards do not write on every request.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) await touchApiKey(db, row.id, now);
  return { id: row.id, label: row.label, publicationId: row.publication_id, publicationSlug: row.slug };
}
