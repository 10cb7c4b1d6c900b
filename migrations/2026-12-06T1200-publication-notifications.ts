import { type Kysely, sql } from 'kysely';

// Instances keep publications in memory for the article-page paths; whoever changes one (the CLI, another
// instance) tells them all at commit, whatever code made the change.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE FUNCTION favour_publications_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('favour_publications', '');
    RETURN NULL;
  END $$`.execute(db);
  await sql`CREATE TRIGGER publications_changed AFTER INSERT OR UPDATE OR DELETE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION favour_publications_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER publications_changed ON publications`.execute(db);
  await sql`DROP FUNCTION favour_publications_changed()`.execute(db);
}
