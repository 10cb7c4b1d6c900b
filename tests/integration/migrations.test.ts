import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/create-database.js';
import { migrateToLatest, migrationsAreCurrent } from '../../src/db/migrate.js';
import { migrations } from '../../migrations/index.js';

const adminUrl = process.env.DATABASE_URL;

describe('migrations', () => {
  it('apply on the embedded database and report themselves current', async () => {
    const database = await openDatabase({ databaseUrl: undefined });
    try {
      expect(await migrationsAreCurrent(database.db)).toBe(false);
      expect(await migrateToLatest(database.db)).toEqual(Object.keys(migrations));
      expect(await migrationsAreCurrent(database.db)).toBe(true);
      expect(await migrateToLatest(database.db)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it.runIf(adminUrl)('are applied exactly once when two instances start at the same moment (Postgres)', async () => {
    const name = `favour_migrate_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl!);
    url.pathname = `/${name}`;
    const a = await openDatabase({ databaseUrl: url.href });
    const b = await openDatabase({ databaseUrl: url.href });
    try {
      const [appliedA, appliedB] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect([...appliedA, ...appliedB].sort()).toEqual(Object.keys(migrations).sort());
      const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(a.db);
      expect(rows.rows.map((r) => r.name).sort()).toEqual(Object.keys(migrations).sort());
    } finally {
      await a.close();
      await b.close();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
