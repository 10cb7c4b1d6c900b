import type { DbExecutor } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import type { PublicationInput } from './publication.schema.js';

export async function findPublicationBySlug(db: DbExecutor, slug: string): Promise<PublicationRow | undefined> {
  return db.selectFrom('publications').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function findPublicationById(db: DbExecutor, id: number): Promise<PublicationRow | undefined> {
  return db.selectFrom('publications').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listPublications(db: DbExecutor): Promise<PublicationRow[]> {
  return db.selectFrom('publications').selectAll().orderBy('slug').execute();
}

export async function countPublications(db: DbExecutor): Promise<number> {
  const row = await db
    .selectFrom('publications')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

function toRow(input: PublicationInput) {
  const { widget, goal, fee_cover, email, ...fields } = input;
  return { ...fields, currencies: JSON.stringify(input.currencies), settings: JSON.stringify({ widget, goal, fee_cover, email }) };
}

export async function insertPublication(db: DbExecutor, input: PublicationInput): Promise<PublicationRow> {
  return db.insertInto('publications').values(toRow(input)).returningAll().executeTakeFirstOrThrow();
}

export async function updatePublication(db: DbExecutor, id: number, input: PublicationInput): Promise<PublicationRow> {
  const { slug: _slug, ...fields } = toRow(input);
  return db
    .updateTable('publications')
    .set({ ...fields, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Inserts unless the slug exists (two instances may both seed the demo at once). */
export async function insertPublicationIfAbsent(db: DbExecutor, input: PublicationInput): Promise<PublicationRow | undefined> {
  return db
    .insertInto('publications')
    .values(toRow(input))
    .onConflict((oc) => oc.column('slug').doNothing())
    .returningAll()
    .executeTakeFirst();
}
