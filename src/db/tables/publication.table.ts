import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Interval = 'once' | 'month' | 'year';

/** Limits and preset buttons for one currency, all in minor units. */
export interface CurrencySettings {
  min: number;
  max: number;
  presets: Partial<Record<Interval, number[]>>;
}

export interface PublicationTable {
  id: Generated<number>;
  slug: string;
  name: string;
  origins: string[];
  currencies: ColumnType<Record<string, CurrencySettings>, string, string>;
  default_currency: string;
  intervals: Interval[];
  default_locale: string;
  time_zone: string;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export type PublicationRow = Selectable<PublicationTable>;
export type NewPublicationRow = Insertable<PublicationTable>;
export type PublicationUpdate = Updateable<PublicationTable>;
