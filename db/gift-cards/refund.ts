import { assertPositiveAmount } from '../../engine/ledger/lots';
import { planRefund } from '../../engine/gift-cards/card-state';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import { lockGiftCard } from './cards';
import { accountBalance, giftCardRoles, moveGiftCardMoney } from './money';

export interface RefundGiftCardSpendInput {
  programId: number;
  /** The holder the money was spent for (the cancelled or returned purchase). */
  holder: string;
  /** The card, needed with `amount` when the holder paid with several cards. */
  number?: string;
  /** Minor units to give back; without it everything not refunded yet of every spend of the holder. */
  amount?: number;
  /** One refund per spend and reference (a return's id); the holder if omitted. */
  reference?: string;
  /** Business time of the refund. */
  at: Date;
  actor: string;
}

export interface GiftCardRefund {
  /** Given back in all. */
  amount: number;
  items: Array<{ number: string; amount: number; balance: number; entryId: number }>;
}

interface SpendRow {
  id: number;
  cardId: number;
  number: string;
  amount: number;
  refunded: number;
  entryId: number;
  accountId: number | null;
}

/** The holder's spends, locked with their cards (cards first, in id order, as every card change). */
async function lockSpends(trx: Trx, input: RefundGiftCardSpendInput): Promise<SpendRow[]> {
  let query = trx
    .selectFrom('gift_card_spends as s')
    .innerJoin('gift_cards as g', 'g.id', 's.card_id')
    .select(['s.id', 's.card_id as cardId'])
    .where('s.program_id', '=', input.programId)
    .where('s.holder', '=', input.holder);
  if (input.number !== undefined) query = query.where('g.number', '=', input.number.trim());
  const found = await query.orderBy('s.card_id').execute();
  if (found.length === 0) {
    const field = input.number === undefined ? 'holder' : 'number';
    throw new DomainError('gift_card_spend_not_found', 'no gift card spend of this holder', 404, field);
  }
  for (const cardId of new Set(found.map((s) => s.cardId)))
    await lockGiftCard(trx, input.programId, { id: cardId });
  return trx
    .selectFrom('gift_card_spends as s')
    .innerJoin('gift_cards as g', 'g.id', 's.card_id')
    .select([
      's.id',
      's.card_id as cardId',
      'g.number',
      'g.account_id as accountId',
      's.amount',
      's.refunded',
      's.entry_id as entryId',
    ])
    .where(
      's.id',
      'in',
      found.map((s) => s.id),
    )
    .orderBy('s.card_id')
    .forUpdate('s')
    .execute();
}

/**
 * Gives back money a gift card paid, when the purchase is cancelled or returned: to the card it came
 * from, whatever the card's status (an expired card's refund is forfeited by the next expiry run).
 * Idempotent per spend and reference: a repeat answers the first refund; another amount under the same
 * reference is 409 gift_card_refund_conflict. Runs in the caller's transaction.
 */
export async function refundGiftCardSpend(
  trx: Trx,
  input: RefundGiftCardSpendInput,
): Promise<GiftCardRefund> {
  if (input.amount !== undefined) assertPositiveAmount(input.amount);
  const spends = await lockSpends(trx, input);
  const reference = input.reference ?? input.holder;
  const earlier = await trx
    .selectFrom('gift_card_refunds')
    .select(['spend_id', 'amount', 'entry_id'])
    .where(
      'spend_id',
      'in',
      spends.map((s) => s.id),
    )
    .where('reference', '=', reference)
    .execute();
  if (earlier.length > 0) {
    const total = earlier.reduce((sum, r) => sum + r.amount, 0);
    if (input.amount !== undefined && input.amount !== total) {
      throw new DomainError(
        'gift_card_refund_conflict',
        `this reference refunded ${total} already`,
        409,
        'reference',
      );
    }
    const items = [];
    for (const r of earlier) {
      const spend = spends.find((s) => s.id === r.spend_id)!;
      items.push({
        number: spend.number,
        amount: r.amount,
        balance: await accountBalance(trx, spend.accountId),
        entryId: r.entry_id,
      });
    }
    return { amount: total, items };
  }
  const plan = planRefund(spends, input.amount);
  if (plan.length === 0) {
    throw new DomainError(
      'gift_card_already_refunded',
      'everything this holder spent was refunded already',
      409,
      'holder',
    );
  }
  const items = [];
  for (const part of plan) {
    const spend = spends.find((s) => s.id === part.spendId)!;
    const { entryId, balance } = await moveGiftCardMoney(trx, {
      programId: input.programId,
      accountId: spend.accountId!,
      amount: part.amount,
      role: giftCardRoles.redemption,
      kind: 'gift_card.refund',
      occurredAt: input.at,
      actor: input.actor,
      reverses: spend.entryId,
      details: { giftCardId: spend.cardId, holder: input.holder, reference },
    });
    await trx
      .updateTable('gift_card_spends')
      .set((eb) => ({ refunded: eb('refunded', '+', part.amount) }))
      .where('id', '=', spend.id)
      .execute();
    await trx
      .insertInto('gift_card_refunds')
      .values({
        spend_id: spend.id,
        reference,
        amount: part.amount,
        entry_id: entryId,
        occurred_at: input.at,
      })
      .execute();
    items.push({ number: spend.number, amount: part.amount, balance, entryId });
  }
  return { amount: plan.reduce((sum, p) => sum + p.amount, 0), items };
}
