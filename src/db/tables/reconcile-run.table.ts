import type { Generated, Selectable } from 'kysely';

export interface ReconcileRunTable {
  id: Generated<number>;
  started_at: Date;
  finished_at: Date | null;
  since: Date;
  fetched: Generated<number>;
  already_had: Generated<number>;
  applied: Generated<number>;
  ignored: Generated<number>;
  /** Why the run failed; null for a run that completed. */
  error: string | null;
}

export type ReconcileRunRow = Selectable<ReconcileRunTable>;
