import type { Logger } from 'pino';
import type pg from 'pg';
import { INBOX_CHANNEL } from './event-inbox.repository.js';

const RECONNECT_MS = 2_000;

/**
 * Wakes this instance's applier when any instance stores an event (Postgres LISTEN on one connection of the
 * pool). If the connection drops it listens again; the applier's poll covers the gap. Returns a stop function.
 */
export function listenForStoredEvents(pool: pg.Pool, onStored: () => void, logger: Logger): () => Promise<void> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  async function listen(): Promise<void> {
    try {
      const connected = await pool.connect();
      if (stopped) return connected.release();
      client = connected;
      connected.on('notification', (message) => {
        if (message.channel === INBOX_CHANNEL) onStored();
      });
      connected.on('error', (err) => {
        logger.warn({ err: err.message }, 'webhook inbox: LISTEN connection lost; listening again shortly');
        connected.release(err);
        if (client === connected) client = undefined;
        schedule();
      });
      await connected.query(`LISTEN ${INBOX_CHANNEL}`);
      onStored(); // anything stored while no one listened
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook inbox: cannot LISTEN; polling meanwhile');
      schedule();
    }
  }

  function schedule(): void {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, RECONNECT_MS);
    retry.unref();
  }

  void listen();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const held = client;
    client = undefined;
    if (held) {
      await held.query(`UNLISTEN ${INBOX_CHANNEL}`).catch(() => {});
      held.release();
    }
  };
}
