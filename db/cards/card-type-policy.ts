import type { Kysely } from 'kysely';
import { lotPolicySchema, type LotPolicy } from '../../engine/ledger/lot-policy';
import type { Database } from '../schema';

/**
 * The lot policy of the card type that applies to a customer's earning: the card they were identified
 * by, else their newest active card; undefined when they have none (the program's policy applies).
 */
export async function cardTypeLotPolicy(
  db: Kysely<Database>,
  customerId: number,
  cardId: number | null,
): Promise<LotPolicy | undefined> {
  let query = db
    .selectFrom('cards')
    .innerJoin('card_types', 'card_types.id', 'cards.card_type_id')
    .select('card_types.lot_policy')
    .where('cards.customer_id', '=', customerId);
  query = cardId
    ? query.where('cards.id', '=', cardId)
    : query.where('cards.status', '=', 'active').orderBy('cards.id', 'desc');
  const row = await query.limit(1).executeTakeFirst();
  return row ? lotPolicySchema.parse(row.lot_policy) : undefined;
}
