import { sql, type Kysely } from 'kysely';

/** Redemption tokens used by a confirm: a token pays one purchase. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('redemption_token_uses')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
