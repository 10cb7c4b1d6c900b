import { sql } from 'kysely';
import type { DbExecutor } from './database.js';

/** A named savepoint inside the caller's transaction: set it, release it, or roll back to it. */
export const savepoint = {
  set: (trx: DbExecutor, name: string) => sql`SAVEPOINT ${sql.id(name)}`.execute(trx),
  release: (trx: DbExecutor, name: string) => sql`RELEASE SAVEPOINT ${sql.id(name)}`.execute(trx),
  rollBackTo: (trx: DbExecutor, name: string) => sql`ROLLBACK TO SAVEPOINT ${sql.id(name)}`.execute(trx),
};

/** How long statements of this transaction wait for a lock before failing with 55P03 ('0' waits for ever). */
export async function setLockTimeout(trx: DbExecutor, timeout: string): Promise<void> {
  await sql`SELECT set_config('lock_timeout', ${timeout}, true)`.execute(trx);
}

/** lock_not_available: a wait set by setLockTimeout ran out. */
export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '55P03';
}

/** One round trip: does the database answer? */
export async function databaseAnswers(db: DbExecutor): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
