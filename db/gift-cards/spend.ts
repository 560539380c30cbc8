import { assertPositiveAmount } from '../../engine/ledger/lots';
import { assertPayable } from '../../engine/gift-cards/card-state';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import { checkPin, lockGiftCard } from './cards';
import { accountBalance, giftCardRoles, moveGiftCardMoney } from './money';

export interface SpendGiftCardInput {
  programId: number;
  number: string;
  /** Required for e-certificates. */
  pin?: string;
  /** Minor units to pay; never more than the balance. */
  amount: number;
  /** What the money pays for (a purchase id, a web order): one spend per card and holder. */
  holder: string;
  /** Business time of the payment. */
  at: Date;
  actor: string;
  details?: Record<string, unknown>;
}

export interface GiftCardSpend {
  spendId: number;
  entryId: number;
  number: string;
  amount: number;
  currency: string;
  /** What is left on the card. */
  balance: number;
}

/**
 * Pays `amount` with a gift card, in the caller's transaction (a purchase pays with it inside its own).
 * Concurrent spends on one card queue on the card's row lock, so the balance never goes below zero.
 * Idempotent per card and holder: a repeat with the same amount answers the first spend, another amount
 * is 409 gift_card_spend_conflict. Refusals: 404 gift_card_not_found, 422 gift_card_pin_required /
 * gift_card_pin_invalid / gift_card_inactive / gift_card_blocked / gift_card_expired, 409
 * gift_card_insufficient.
 */
export async function spendGiftCard(trx: Trx, input: SpendGiftCardInput): Promise<GiftCardSpend> {
  assertPositiveAmount(input.amount);
  const card = await lockGiftCard(trx, input.programId, { number: input.number });
  checkPin(card, input.pin);
  const earlier = await trx
    .selectFrom('gift_card_spends')
    .select(['id', 'amount', 'entry_id'])
    .where('card_id', '=', card.id)
    .where('holder', '=', input.holder)
    .executeTakeFirst();
  if (earlier) {
    if (earlier.amount !== input.amount) {
      throw new DomainError(
        'gift_card_spend_conflict',
        `this holder spent ${earlier.amount} with the card already`,
        409,
        'holder',
      );
    }
    return {
      spendId: earlier.id,
      entryId: earlier.entry_id,
      number: card.number,
      amount: earlier.amount,
      currency: card.currency,
      balance: await accountBalance(trx, card.accountId),
    };
  }
  assertPayable(card, input.at);
  const { entryId, balance } = await moveGiftCardMoney(trx, {
    programId: input.programId,
    accountId: card.accountId!,
    amount: -input.amount,
    role: giftCardRoles.redemption,
    kind: 'gift_card.spend',
    occurredAt: input.at,
    actor: input.actor,
    details: { ...input.details, giftCardId: card.id, holder: input.holder },
  });
  const spend = await trx
    .insertInto('gift_card_spends')
    .values({
      program_id: input.programId,
      card_id: card.id,
      holder: input.holder,
      amount: input.amount,
      entry_id: entryId,
      occurred_at: input.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    spendId: spend.id,
    entryId,
    number: card.number,
    amount: input.amount,
    currency: card.currency,
    balance,
  };
}
