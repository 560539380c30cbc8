import type { Kysely } from 'kysely';

/**
 * What a purchase counts towards spend (tiers, accumulated amounts) leaves out lines outside
 * promotions, such as gift cards sold: a card's value counts when it pays for goods, not twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('purchases')
    .addColumn('qualifying_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('purchase_lines')
    .addColumn('excluded', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}
