import { type Kysely, sql } from 'kysely';

// Two transactions refreshing one supporter's totals at once (two events about the same reader on two
// servers) both deleted its rows and both inserted them again: the second commit failed on the
// primary key, however often it was retried. Locking the supporter first makes them take turns; the
// second then recomputes from what the first committed. Literal SQL: a migration never changes.

const upStatements = [
  `CREATE OR REPLACE FUNCTION favour_refresh_supporter_totals(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM 1 FROM supporters WHERE id = sid FOR UPDATE;
    DELETE FROM supporter_totals WHERE supporter_id = sid;
    INSERT INTO supporter_totals (supporter_id, currency, payments, gross, refunded)
      SELECT sid, currency, count(*), sum(amount), sum(refunded_amount)
      FROM payments WHERE supporter_id = sid AND base_status = 'succeeded' GROUP BY currency;
    UPDATE supporters SET
      first_paid_at = (SELECT min(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded'),
      last_paid_at = (SELECT max(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded')
    WHERE id = sid;
  END $$`,
];

const downStatements = [
  `CREATE OR REPLACE FUNCTION favour_refresh_supporter_totals(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM supporter_totals WHERE supporter_id = sid;
    INSERT INTO supporter_totals (supporter_id, currency, payments, gross, refunded)
      SELECT sid, currency, count(*), sum(amount), sum(refunded_amount)
      FROM payments WHERE supporter_id = sid AND base_status = 'succeeded' GROUP BY currency;
    UPDATE supporters SET
      first_paid_at = (SELECT min(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded'),
      last_paid_at = (SELECT max(paid_at) FROM payments WHERE supporter_id = sid AND base_status = 'succeeded')
    WHERE id = sid;
  END $$`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of downStatements) await sql.raw(statement).execute(db);
}
