import type pg from 'pg';

const RECONNECT_MS = 2_000;

/**
 * LISTEN on one connection of the pool and call `onNotify` for each notification on `channel`. If the
 * connection drops it listens again (and calls `onNotify` once, for whatever it may have missed); callers keep
 * a poll or a maximum age as the fallback meanwhile. Returns a stop function.
 */
export function listenOnPool(
  pool: pg.Pool,
  channel: string,
  onNotify: () => void,
  onTrouble: (message: string) => void = () => {},
): () => Promise<void> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  async function listen(): Promise<void> {
    try {
      const connected = await pool.connect();
      if (stopped) return connected.release();
      client = connected;
      connected.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      connected.on('error', (err) => {
        // Only while this connection is ours: a dying one may report more than one error, and one handed back
        // to the pool by stop() is the pool's to close.
        if (client !== connected) return;
        client = undefined;
        onTrouble(`LISTEN ${channel}: connection lost (${err.message}); listening again shortly`);
        connected.release(err);
        schedule();
      });
      await connected.query(`LISTEN ${channel}`);
      onNotify(); // anything that happened while no one listened
    } catch (err) {
      onTrouble(`LISTEN ${channel}: ${err instanceof Error ? err.message : String(err)}; trying again shortly`);
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
      await held.query(`UNLISTEN ${channel}`).catch(() => {});
      held.release();
    }
  };
}
