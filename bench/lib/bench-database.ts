import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ensureDemoPublication } from '../../src/publications/publication.service.js';
import { ADMIN_DATABASE_URL, assertLoopback, BENCH_PUBLIC_URL } from './settings.js';

// Kept by reset(): the seeded demo publication and Kysely's migration bookkeeping. Every other table is data.
const KEPT_TABLES = ['publications', 'kysely_migration', 'kysely_migration_lock'];

export interface BenchDatabase {
  name: string;
  /** Connection URL of the bench database (what the server child gets as DATABASE_URL). */
  url: string;
  /** A small pool for setup, checks and counting rows. */
  handle: DatabaseHandle;
  /** Empties every table but publications and checkpoints, so each phase starts from the same state. */
  reset(): Promise<void>;
  /** Row counts of the data tables, once the applier has applied every stored event. */
  counts(): Promise<Record<string, number>>;
  /** "type outcome" → number of stored events, to check the service and the floor did the same work. */
  eventOutcomes(): Promise<Record<string, number>>;
  /** Until the server's applier has applied every stored event (throws on a failed one). */
  waitForInbox(): Promise<void>;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh favour_bench_<random> database, migrated with src/db/migrate.ts and seeded with the demo publication. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  assertLoopback(ADMIN_DATABASE_URL);
  const name = `favour_bench_${randomBytes(5).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  let handle: DatabaseHandle | undefined;
  const drop = async () => {
    await handle?.close().catch(() => undefined);
    handle = undefined;
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  try {
    handle = await openDatabase({ databaseUrl: url.href, poolSize: 4 });
    await migrateToLatest(handle.db);
    const demo = await ensureDemoPublication(handle.db, BENCH_PUBLIC_URL);
    if (!demo) throw new Error('the demo publication was not created in the fresh bench database');
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  const opened = handle;
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });
  const stopAnalyzing = await standInForAutovacuum(pool);
  // Listed from the schema, so tables added by later migrations are emptied and counted too.
  const dataTables = async () =>
    (
      await pool.query<{ name: string }>(
        `SELECT quote_ident(t.tablename) AS name FROM pg_tables t
         WHERE t.schemaname = 'public' AND NOT (t.tablename = ANY($1)) ORDER BY 1`,
        [KEPT_TABLES],
      )
    ).rows.map((r) => r.name);
  // Webhooks are acknowledged before they are applied: figures about rows wait for the server's applier.
  const waitForInbox = async (timeoutMs = 600_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await pool.query<{ pending: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM stripe_events WHERE status <> 'applied'`,
      );
      if (rows[0]!.failed > 0) throw new Error(`${rows[0]!.failed} webhook events failed to apply (favour events list --failed)`);
      if (rows[0]!.pending === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.pending} webhook events still pending after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    name,
    url: url.href,
    handle: opened,
    async reset() {
      await pool.query(`TRUNCATE ${(await dataTables()).join(', ')} RESTART IDENTITY CASCADE`);
      const { rowCount } = await pool.query(`SELECT 1 FROM publications WHERE slug = 'demo'`);
      if (rowCount !== 1) throw new Error('reset emptied the publications table; a new foreign key points from it to a data table');
      await pool.query('VACUUM ANALYZE');
      // Flushes dirty pages now rather than in the middle of the next phase; needs superuser or pg_checkpoint.
      await pool.query('CHECKPOINT').catch(() => undefined);
    },
    waitForInbox,
    async counts() {
      await waitForInbox();
      const sql = (await dataTables()).map((t) => `SELECT '${t}' AS name, count(*)::int AS n FROM ${t}`).join(' UNION ALL ');
      const { rows } = await pool.query<{ name: string; n: number }>(sql);
      return Object.fromEntries(rows.map((r) => [r.name, r.n]));
    },
    async eventOutcomes() {
      await waitForInbox();
      const { rows } = await pool.query<{ key: string; n: number }>(
        `SELECT type || ' ' || outcome AS key, count(*)::int AS n FROM stripe_events GROUP BY 1 ORDER BY 1`,
      );
      return Object.fromEntries(rows.map((r) => [r.key, r.n]));
    },
    async drop() {
      stopAnalyzing();
      await pool.end().catch(() => undefined);
      await drop();
    },
  };
}

/**
 * Production Postgres runs autovacuum, whose ANALYZE keeps statistics current as tables grow and thereby
 * replaces plans cached while they were small (foreign-key checks planned on an empty table keep scanning it
 * whole). A cluster with autovacuum off (this machine's) would make every run slower the longer it lasts; in
 * its place the bench analyzes its database every 2 seconds, for the floors and the service alike.
 */
async function standInForAutovacuum(pool: pg.Pool): Promise<() => void> {
  const { rows } = await pool.query<{ autovacuum: string }>('SHOW autovacuum');
  if (rows[0]?.autovacuum === 'on') return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pool
      .query('ANALYZE')
      .catch(() => undefined)
      .finally(() => (running = false));
  }, 2_000);
  timer.unref();
  return () => clearInterval(timer);
}
