import type { Logger } from 'pino';
import type { DbExecutor } from '../db/database.js';
import { isDatabaseUnavailable, isRetryableTransactionError } from '../db/database-errors.js';
import { addWidgetCounts, BEACON_TYPES, type BeaconType, type WidgetCount } from './widget-counter.repository.js';

/** Beacon counts held in memory and written in one statement per flush. */
export interface WidgetCounterBuffer {
  add(count: Omit<WidgetCount, BeaconType>, type: BeaconType): void;
  /** Writes what is held now; counts that fail to be written are kept for the next flush. */
  flush(): Promise<void>;
  /** Stops the timer and writes the rest (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * A beacon costs a map update instead of a database write; every `flushMs` (default 1 s) the counts go to
 * Postgres in one upsert that adds them up. A graceful stop flushes, so counts stay exact across a restart;
 * a SIGKILL loses at most the last interval's.
 */
export function createWidgetCounterBuffer(db: DbExecutor, logger: Logger, flushMs = 1000): WidgetCounterBuffer {
  let held = new Map<string, WidgetCount>();
  let flushing: Promise<void> | undefined;

  async function writeHeld(): Promise<void> {
    if (held.size === 0) return;
    const batch = held;
    held = new Map();
    try {
      await addWidgetCounts(db, [...batch.values()]);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!isDatabaseUnavailable(err) && !isRetryableTransactionError(err)) {
        // Not the database being away: the same rows would fail every flush and hold up all later counts.
        logger.error({ err: message, rows: batch.size }, 'widget counters: flush refused; these counts are dropped');
        return;
      }
      // Put them back: the next flush tries again.
      for (const [key, count] of batch) merge(key, count);
      logger.warn({ err: message, rows: batch.size }, 'widget counters: flush failed; kept for the next one');
    }
  }

  function merge(key: string, count: WidgetCount): void {
    const existing = held.get(key);
    if (existing) for (const type of BEACON_TYPES) existing[type] += count[type];
    else held.set(key, { ...count });
  }

  async function flush(): Promise<void> {
    while (flushing) await flushing;
    flushing = writeHeld().finally(() => {
      flushing = undefined;
    });
    await flushing;
  }

  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();

  return {
    add(c, type) {
      const key = `${c.publicationId}\u0000${c.day}\u0000${c.articleUrl}\u0000${c.variant}`;
      let count = held.get(key);
      if (!count) held.set(key, (count = { ...c, impression: 0, click: 0, upsell_shown: 0, upsell_accepted: 0 }));
      count[type]++;
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
