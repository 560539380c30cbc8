import type { PurchaseLine } from '../../engine/contracts/purchases';
import { activateGiftCard } from '../gift-cards/activate';
import { voidGiftCardSale } from '../gift-cards/void-sale';
import type { Trx } from '../ledger/store';

/** Gift cards sold as purchase lines: activated at confirm, taken back with their line. */

const saleReference = (holder: string, line: number) => `${holder}/line-${line}`;

export async function sellGiftCards(
  trx: Trx,
  input: {
    programId: number;
    storeId: number;
    holder: string;
    lines: PurchaseLine[];
    at: Date;
    actor: string;
  },
): Promise<{ line: number; number: string; pin?: string; expiresAt: string | null }[]> {
  const sold = [];
  for (const [line, l] of input.lines.entries()) {
    if (!l.giftCard) continue;
    const card = await activateGiftCard(trx, {
      programId: input.programId,
      ...(l.giftCard.number !== undefined ? { number: l.giftCard.number } : {}),
      ...(l.giftCard.typeId !== undefined ? { typeId: l.giftCard.typeId } : {}),
      amount: l.unitPrice,
      saleReference: saleReference(input.holder, line),
      at: input.at,
      actor: input.actor,
      storeId: input.storeId,
    });
    sold.push({
      line,
      number: card.number,
      ...(card.pin !== undefined ? { pin: card.pin } : {}),
      expiresAt: card.expiresAt,
    });
  }
  return sold;
}

/** Takes back the cards sold on the given lines (cancel, or the card returned). */
export async function takeBackGiftCards(
  trx: Trx,
  input: { programId: number; holder: string; lines: number[]; at: Date; actor: string },
): Promise<void> {
  for (const line of input.lines) {
    await voidGiftCardSale(trx, {
      programId: input.programId,
      saleReference: saleReference(input.holder, line),
      at: input.at,
      actor: input.actor,
    });
  }
}
