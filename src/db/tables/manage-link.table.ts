import type { ColumnType, Generated } from 'kysely';

/** A sign-in-free link to manage a membership: only the token's SHA-256 is kept; used once, until it expires. */
export interface ManageLinkTable {
  id: Generated<number>;
  publication_id: number;
  supporter_id: number;
  customer_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: ColumnType<Date, never, never>;
}
