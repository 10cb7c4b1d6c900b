import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new link for a member: the token (to e-mail; only its hash is kept) and when it stops working. */
export async function createManageLink(
  db: DbExecutor,
  link: { publicationId: number; supporterId: number; customerId: string; validSeconds: number; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(link.now.getTime() + link.validSeconds * 1000);
  await db
    .insertInto('manage_links')
    .values({
      publication_id: link.publicationId,
      supporter_id: link.supporterId,
      customer_id: link.customerId,
      token_hash: hashOf(token),
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

export interface ManageLinkRow {
  id: number;
  publication_id: number;
  customer_id: string;
  expires_at: Date;
  used_at: Date | null;
}

/** The link a token names, used or not, expired or not; undefined for a token never issued. */
export async function findManageLink(db: DbExecutor, token: string): Promise<ManageLinkRow | undefined> {
  return db
    .selectFrom('manage_links')
    .select(['id', 'publication_id', 'customer_id', 'expires_at', 'used_at'])
    .where('token_hash', '=', hashOf(token))
    .executeTakeFirst();
}

/** Uses the link once: true for the one caller that took it while it was valid. */
export async function useManageLink(db: DbExecutor, id: number, now: Date): Promise<boolean> {
  const result = await sql`UPDATE manage_links SET used_at = ${now} WHERE id = ${id} AND used_at IS NULL AND expires_at > ${now}`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** The member behind an address at a publication: the Stripe customer of their newest membership, if any. */
export async function memberByEmail(
  db: DbExecutor,
  publicationId: number,
  email: string,
): Promise<{ supporterId: number; customerId: string } | undefined> {
  const row = await sql<{ supporter_id: number; customer_id: string }>`
    SELECT m.supporter_id, m.customer_id FROM memberships m JOIN supporters s ON s.id = m.supporter_id
    WHERE s.publication_id = ${publicationId} AND s.email = ${email} AND s.erased_at IS NULL AND m.customer_id IS NOT NULL
    ORDER BY m.started_at DESC LIMIT 1`.execute(db);
  const found = row.rows[0];
  return found && { supporterId: found.supporter_id, customerId: found.customer_id };
}
