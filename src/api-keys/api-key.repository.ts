import type { DbExecutor } from '../db/database.js';
import type { ApiKeyRow } from '../db/tables/api-key.table.js';

export async function insertApiKey(
  db: DbExecutor,
  key: { publication_id: number; label: string; prefix: string; key_hash: string },
): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(key).returningAll().executeTakeFirstOrThrow();
}

export async function findApiKeyByHash(db: DbExecutor, keyHash: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('publications', 'publications.id', 'api_keys.publication_id')
    .select([
      'api_keys.id',
      'api_keys.label',
      'api_keys.key_hash',
      'api_keys.revoked_at',
      'api_keys.last_used_at',
      'api_keys.publication_id',
      'publications.slug',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst();
}

export async function listApiKeys(db: DbExecutor, publicationId?: number) {
  let query = db
    .selectFrom('api_keys')
    .innerJoin('publications', 'publications.id', 'api_keys.publication_id')
    .select([
      'api_keys.id',
      'api_keys.label',
      'api_keys.prefix',
      'api_keys.created_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
      'publications.slug',
    ])
    .orderBy('api_keys.id');
  if (publicationId !== undefined) query = query.where('api_keys.publication_id', '=', publicationId);
  return query.execute();
}

/** Revokes a key by id or by its printed prefix; returns how many keys were revoked. */
export async function revokeApiKey(db: DbExecutor, idOrPrefix: string): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('revoked_at', 'is', null)
    .where((eb) => (/^\d+$/.test(idOrPrefix) ? eb('id', '=', Number(idOrPrefix)) : eb('prefix', '=', idOrPrefix)))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function touchApiKey(db: DbExecutor, id: number, at: Date): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}
