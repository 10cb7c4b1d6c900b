import type { ColumnType, Generated, Selectable } from 'kysely';

export interface ApiKeyTable {
  id: Generated<number>;
  publication_id: number;
  /** Who the key is for, e.g. "finance"; logged with every request instead of the key. */
  label: string;
  /** The first characters of the key, to recognise it in `favour key list`. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  key_hash: string;
  created_at: ColumnType<Date, never, never>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export type ApiKeyRow = Selectable<ApiKeyTable>;
