import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import { lockGiftCard } from './cards';
import { accountBalance, giftCardRoles, moveGiftCardMoney } from './money';

/**
 * Takes back a card sold under `saleReference` (its purchase cancelled or the card returned): the
 * whole unspent balance goes back to the sales account and the card is blocked. A card already spent
 * from cannot be taken back (409 gift_card_used); a sale never made answers 404.
 */
export async function voidGiftCardSale(
  trx: Trx,
  input: { programId: number; saleReference: string; at: Date; actor: string },
): Promise<{ number: string; amount: number }> {
  const sold = await trx
    .selectFrom('gift_cards')
    .select('id')
    .where('program_id', '=', input.programId)
    .where('sale_reference', '=', input.saleReference)
    .executeTakeFirst();
  if (!sold) throw new DomainError('gift_card_not_found', 'no gift card was sold here', 404, 'saleReference');
  const card = await lockGiftCard(trx, input.programId, { id: sold.id });
  const balance = await accountBalance(trx, card.accountId);
  if (card.accountId === null || balance !== card.nominal) {
    throw new DomainError(
      'gift_card_used',
      `gift card ${card.number} has been spent from`,
      409,
      'saleReference',
    );
  }
  await moveGiftCardMoney(trx, {
    programId: input.programId,
    accountId: card.accountId,
    amount: -balance,
    role: giftCardRoles.sales,
    kind: 'gift_card.void',
    occurredAt: input.at,
    actor: input.actor,
    details: { giftCardId: card.id, saleReference: input.saleReference },
  });
  await trx
    .updateTable('gift_cards')
    .set({ status: 'blocked', status_reason: 'sale taken back' })
    .where('id', '=', card.id)
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'gift_card.void',
    subject: `gift_card:${card.id}`,
    changes: { saleReference: input.saleReference, amount: balance },
    occurredAt: input.at,
  });
  return { number: card.number, amount: balance };
}
