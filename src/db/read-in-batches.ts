import { type RawBuilder, sql } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import type { Db } from './database.js';

/** Where a long read runs: the database, and on Postgres the pg pool behind it (for a cursor with read-ahead). */
export interface BatchSource {
  db: Db;
  /** Unset on the embedded database (and where a caller has no pool): rows then come through Kysely's stream. */
  pgPool?: pg.Pool | undefined;
}

/** A statement as compiled for Postgres. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Reads every row of a query, `batchSize` rows at a time, for exports of any length: on Postgres through a
 * database cursor, so memory stays flat. The caller may stop early (`break`, `return()`): the cursor is closed and
 * its connection goes back to the pool.
 */
export function readInBatches<R>(source: BatchSource, query: RawBuilder<R>, batchSize: number): AsyncGenerator<R[]> {
  return source.pgPool ? cursorBatches<R>(source.pgPool, query.compile(source.db), batchSize) : streamBatches(source.db, query, batchSize);
}

/**
 * The Postgres path. The next batch is requested before the current one is handed over, so Postgres produces rows
 * while the caller formats and writes the previous ones (reading in turns left Node idle ~40 % of an export). JIT is
 * off for the statement: an export's plan is row-at-a-time probes whose JIT compilation (~100 ms) costs more than it
 * saves.
 */
export async function* cursorBatches<R>(pool: pg.Pool, statement: Statement, batchSize: number): AsyncGenerator<R[]> {
  const client = await pool.connect();
  let cursor: Cursor<R> | undefined;
  let pending: Promise<R[]> | undefined;
  let failed = false;
  try {
    await client.query('BEGIN; SET LOCAL jit = off');
    cursor = client.query(new Cursor<R>(statement.sql, [...statement.parameters]));
    pending = cursor.read(batchSize);
    for (let rows = await pending; rows.length > 0; rows = await pending) {
      pending = cursor.read(batchSize);
      // Awaited on the next turn or in `finally`; until then a failure must not count as an unhandled rejection.
      pending.catch(() => {});
      yield rows;
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (!failed) {
      // Also when the caller stopped early: let the read-ahead land, close the portal, end the transaction.
      try {
        await pending;
        await cursor?.close();
        await client.query('COMMIT');
      } catch {
        failed = true;
      }
    }
    // A connection whose read failed (query error, connection cut) is dropped rather than reused in an unknown state.
    client.release(failed);
  }
}

/** Elsewhere: Kysely's stream (a pg-cursor on Postgres; the embedded database reads the result whole). */
async function* streamBatches<R>(db: Db, query: RawBuilder<R>, batchSize: number): AsyncGenerator<R[]> {
  let batch: R[] = [];
  for await (const row of db
    .selectFrom(sql<R>`(${query})`.as('rows'))
    .selectAll()
    .stream(batchSize)) {
    batch.push(row as R);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
