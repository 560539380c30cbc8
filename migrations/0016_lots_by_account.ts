import { sql, type Kysely } from 'kysely';

/**
 * Every lot of an account, open or not: a balance as of a business time (answered by every points
 * operation) reads all of them with their movements, not only the open ones `lots_open` covers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index lots_account on lots (account_id)`.execute(db);
}
