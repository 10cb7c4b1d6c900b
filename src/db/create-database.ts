import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { listenOnPool } from './pg-listener.js';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from './database.js';

const INT8_OID = 20;
const DATE_OID = 1082;

export interface DatabaseOptions {
  /** postgres:// URL; undefined opens the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Folder for the embedded database; undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'embedded';
  /** The pg pool behind a Postgres database (for stores that speak pg directly, like rate limits). */
  pgPool?: pg.Pool;
  /** Connection pool use, for /metrics (the embedded database has one connection). */
  poolStats(): PoolStats;
  /**
   * Calls `onNotify` whenever a transaction that ran `pg_notify(channel, …)` commits, in any process on this
   * database (or, embedded, in this one). Returns a stop function.
   */
  listen(channel: string, onNotify: () => void, onTrouble?: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Opens Postgres when a URL is given, else the embedded PGlite (real Postgres compiled to WASM). */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openEmbedded(options.dataDir);
}

function openPostgres(connectionString: string, options: DatabaseOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 20,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // bigint columns hold minor units and counts, always far below 2^53: read them as numbers.
    types: {
      // Calendar dates stay 'YYYY-MM-DD' strings: a Date would shift them by the server's time zone.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID) return (value: string) => Number(value);
        if (oid === DATE_OID) return (value: string) => value;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports the error.
  pool.on('error', (error) => options.onPoolError?.(error));
  // pg-pool drops its own error listener from a client while a query uses it; a connection dying
  // then (database restart, network cut) would be an unhandled 'error' that kills the process. The
  // query itself still fails and the request answers 503.
  pool.on('connect', (client) => client.on('error', () => {}));
  // pg-cursor lets exports stream millions of rows in constant memory.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  return {
    db,
    kind: 'postgres',
    pgPool: pool,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen: async (channel, onNotify, onTrouble) => listenOnPool(pool, channel, onNotify, onTrouble),
    close: () => db.destroy(),
  };
}

async function openEmbedded(dataDir: string | undefined): Promise<DatabaseHandle> {
  let dir: string | undefined;
  let releaseLock = () => {};
  if (dataDir) {
    dir = path.join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    releaseLock = lockDataDir(dataDir);
  }
  try {
    const client = await PGlite.create({
      ...(dir ? { dataDir: dir, relaxedDurability: true } : {}),
      parsers: { [INT8_OID]: (value: string) => Number(value), [DATE_OID]: (value: string) => value },
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
    return {
      db,
      kind: 'embedded',
      poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
      listen: async (channel, onNotify) => {
        const unsubscribe = await client.listen(channel, () => onNotify());
        return async () => unsubscribe();
      },
      close: async () => {
        // PGlite's WebAssembly runtime sets process.exitCode to 0 as it shuts down: a command that failed would exit 0.
        const exitCode = process.exitCode;
        await db.destroy();
        process.exitCode = exitCode;
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * PGlite is a single-process database: a second process writing the same files would corrupt them.
 * A lock file naming the owner's pid keeps the CLI and a running server apart; a stale one is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'favour.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lockFile, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new EmbeddedDatabaseBusyError(
          `The embedded database in ${dataDir} is in use by process ${owner} (probably the favour server). ` +
            'Stop it first, or use a Postgres server (DATABASE_URL) to run the CLI and the server together.',
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new EmbeddedDatabaseBusyError(`Could not lock ${lockFile}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseBusyError';
  }
}
