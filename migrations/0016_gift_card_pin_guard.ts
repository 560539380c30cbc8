import { sql, type Kysely } from 'kysely';

/**
 * Wrong PINs are counted in a table of their own, written before the PIN is compared and outside the
 * command's transaction (db/gift-cards/pin-attempts.ts): counted on the card's row, parallel guesses
 * read the count before any of them was written, and a guess in a payment waited on the card's lock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gift_card_pin_attempts')
    .addColumn('card_id', 'bigint', (c) => c.primaryKey().references('gift_cards.id'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .execute();
  await sql`alter table gift_cards drop column pin_failures, drop column pin_locked_until`.execute(db);
}
