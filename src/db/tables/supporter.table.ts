import type { ColumnType, Generated, Selectable } from 'kysely';

export interface SupporterTable {
  id: Generated<number>;
  publication_id: number;
  /** Normalised (trimmed, lower-cased) e-mail: the supporter's identity within a publication. */
  email: string;
  name: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export type SupporterRow = Selectable<SupporterTable>;
