import { DomainError } from '../errors';

export type GiftCardStatus = 'inactive' | 'active' | 'blocked' | 'expired';

export interface GiftCardState {
  status: GiftCardStatus;
  activatedAt: Date | null;
  expiresAt: Date | null;
}

/**
 * The card's status at business time `at`: an active card is expired from its expiry on (before the
 * expiry job has run) and still inactive before its activation time.
 */
export function statusAt(card: GiftCardState, at: Date): GiftCardStatus {
  if (card.status !== 'active') return card.status;
  if (card.expiresAt && at.getTime() >= card.expiresAt.getTime()) return 'expired';
  if (card.activatedAt && at.getTime() < card.activatedAt.getTime()) return 'inactive';
  return 'active';
}

const refusals: Record<Exclude<GiftCardStatus, 'active'>, string> = {
  inactive: 'the gift card is not activated',
  blocked: 'the gift card is blocked',
  expired: 'the gift card has expired',
};

/** Refuses a card that cannot pay at `at` (422 gift_card_inactive / _blocked / _expired). */
export function assertPayable(card: GiftCardState, at: Date, field = 'number'): void {
  const status = statusAt(card, at);
  if (status !== 'active') throw new DomainError(`gift_card_${status}`, refusals[status], 422, field);
}

/** Refuses a spend above the balance (409 gift_card_insufficient): a card never goes below zero. */
export function assertCovers(balance: number, amount: number, field = 'amount'): void {
  if (amount > balance) {
    throw new DomainError(
      'gift_card_insufficient',
      `only ${balance} left on the gift card, ${amount} asked`,
      409,
      field,
    );
  }
}

/**
 * The amounts a refund gives back to each spend of a holder: the given amount from one spend, or
 * without an amount everything not refunded yet of each spend.
 */
export function planRefund(
  spends: ReadonlyArray<{ id: number; amount: number; refunded: number }>,
  amount: number | undefined,
): Array<{ spendId: number; amount: number }> {
  if (amount === undefined) {
    return spends.map((s) => ({ spendId: s.id, amount: s.amount - s.refunded })).filter((r) => r.amount > 0);
  }
  if (spends.length !== 1) {
    throw new DomainError(
      'gift_card_refund_ambiguous',
      'the holder paid with several gift cards: give the number of the one to refund',
      422,
      'number',
    );
  }
  const spend = spends[0]!;
  const left = spend.amount - spend.refunded;
  if (amount > left) {
    throw new DomainError(
      'gift_card_refund_exceeds_spend',
      `only ${left} of the spend is left to refund, ${amount} asked`,
      409,
      'amount',
    );
  }
  return [{ spendId: spend.id, amount }];
}
