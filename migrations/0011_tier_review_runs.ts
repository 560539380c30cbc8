import type { Kysely } from 'kysely';

/** When a periodic ladder was last reviewed: the start of the period that review covered. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tier_ladders').addColumn('last_reviewed_at', 'timestamptz').execute();
}
