import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/create-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

// The schema every migration adds up to, as text: a change to it shows in review as a change to
// tests/fixtures/schema.sql (update it with `npx vitest run tests/integration/schema-snapshot.test.ts -u`).
// Always on the embedded database, so that the text does not depend on the server's version.
describe('the migrated schema', () => {
  it('matches tests/fixtures/schema.sql', async () => {
    const database = await openDatabase({ databaseUrl: undefined });
    try {
      await migrateToLatest(database.db);
      const lines = async (query: ReturnType<typeof sql<{ line: string }>>) => (await query.execute(database.db)).rows.map((r) => r.line);
      const tables = await lines(sql`
        SELECT c.table_name || '.' || c.column_name || ' ' || c.data_type || CASE WHEN c.is_nullable = 'NO' THEN ' not null' ELSE '' END
          || coalesce(' default ' || c.column_default, '') AS line
        FROM information_schema.columns c WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position`);
      const constraints = await lines(sql`
        SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) AS line FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace ORDER BY 1`);
      const indexes = await lines(sql`SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
      const functions = await lines(sql`
        SELECT pg_get_functiondef(p.oid) AS line FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY p.proname`);
      const triggers = await lines(sql`
        SELECT pg_get_triggerdef(t.oid) AS line FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY t.tgname`);
      const text = [
        '-- columns',
        ...tables,
        '',
        '-- constraints',
        ...constraints,
        '',
        '-- indexes',
        ...indexes,
        '',
        '-- triggers',
        ...triggers,
        '',
        '-- functions',
        ...functions.map((f) => `${f.trim()};\n`),
      ].join('\n');
      await expect(text).toMatchFileSnapshot('../fixtures/schema.sql');
    } finally {
      await database.close();
    }
  }, 60_000);
});
