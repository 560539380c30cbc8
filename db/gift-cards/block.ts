import type { GiftCardView } from '../../engine/gift-cards/contracts';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import type { GiftCardStatus } from '../schema';
import { giftCardView, lockGiftCard } from './cards';
import { accountBalance } from './money';

export interface GiftCardStatusChange {
  programId: number;
  number: string;
  reason: string;
  /** Business time of the change. */
  at: Date;
  actor: string;
}

async function changeStatus(
  trx: Trx,
  input: GiftCardStatusChange,
  to: (from: GiftCardStatus, activated: boolean) => GiftCardStatus,
  action: string,
): Promise<GiftCardView> {
  const card = await lockGiftCard(trx, input.programId, { number: input.number });
  const status = to(card.status, card.activatedAt !== null);
  await trx
    .updateTable('gift_cards')
    .set({ status, status_reason: status === 'blocked' ? input.reason : null })
    .where('id', '=', card.id)
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action,
    subject: `gift_card:${card.id}`,
    changes: { status: { from: card.status, to: status }, reason: input.reason },
    occurredAt: input.at,
  });
  return giftCardView({ ...card, status }, await accountBalance(trx, card.accountId), input.at);
}

/** Blocks a card (lost, stolen, disputed): it pays nothing until unblocked; its validity runs on. */
export function blockGiftCard(trx: Trx, input: GiftCardStatusChange): Promise<GiftCardView> {
  return changeStatus(
    trx,
    input,
    (from) => {
      if (from === 'blocked')
        throw new DomainError('gift_card_blocked', 'the gift card is blocked already', 409, 'number');
      return 'blocked';
    },
    'gift_card.block',
  );
}

/** Unblocks a card: active again when it was sold, else back in stock (inactive). */
export function unblockGiftCard(trx: Trx, input: GiftCardStatusChange): Promise<GiftCardView> {
  return changeStatus(
    trx,
    input,
    (from, activated) => {
      if (from !== 'blocked')
        throw new DomainError('gift_card_not_blocked', 'the gift card is not blocked', 409, 'number');
      return activated ? 'active' : 'inactive';
    },
    'gift_card.unblock',
  );
}
