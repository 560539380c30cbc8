import { type Kysely } from 'kysely';

/**
 * Guesses of e-certificate PINs, counted per card before each PIN is compared and outside the
 * command's transaction (db/gift-cards/pin-attempts.ts), so parallel guesses cannot pass the lock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gift_card_pin_attempts')
    .addColumn('card_id', 'bigint', (c) => c.primaryKey().references('gift_cards.id'))
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .execute();
}
