import type { ColumnType, Generated, Selectable } from 'kysely';

export interface SupporterTable {
  id: Generated<number>;
  publication_id: number;
  /** Normalised (trimmed, lower-cased) e-mail: the supporter's identity within a publication. */
  email: string;
  name: string | null;
  /** First and last succeeded payment, kept by the payments trigger. */
  first_paid_at: ColumnType<Date | null, never, never>;
  last_paid_at: ColumnType<Date | null, never, never>;
  /** When personal data was erased on request (e-mail replaced, name removed). */
  erased_at: ColumnType<Date | null, never, Date | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export type SupporterRow = Selectable<SupporterTable>;
