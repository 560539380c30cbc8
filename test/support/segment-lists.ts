import { sql } from 'kysely';
import type { DB } from '../../db/database';

/**
 * `count` active customers in one statement, each with the external identifier `<prefix><n>` (n from 1):
 * enough customers for a large static list upload without going through the API one by one.
 */
export async function insertListCustomers(db: DB, programId: number, prefix: string, count: number) {
  await sql`
    with c as (
      insert into customers (program_id, profile, questionnaire, referral_code, registration_channel,
        registered_at, status)
      select ${programId}, '{}', '{}', ${`LST${prefix.toUpperCase()}`} || g, 'till', now(), 'active'
      from generate_series(1, ${count}::int) g
      returning id, referral_code
    )
    insert into identifiers (program_id, kind, value, customer_id)
    select ${programId}, 'external', ${prefix} || substr(referral_code, ${4 + prefix.length}), id from c`.execute(
    db,
  );
}
