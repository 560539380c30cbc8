import { type Kysely } from 'kysely';

/** Wrong PINs of e-certificates are counted per card, which locks after too many (engine/gift-cards/pin.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('gift_cards')
    .addColumn('pin_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pin_locked_until', 'timestamptz')
    .execute();
}
