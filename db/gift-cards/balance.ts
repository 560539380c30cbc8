import type { Kysely } from 'kysely';
import type { GiftCardView } from '../../engine/gift-cards/contracts';
import type { Database } from '../schema';
import { findGiftCard, giftCardView } from './cards';
import { guardPin } from './pin-attempts';
import { accountBalance } from './money';

/**
 * The card's status and balance at business time `at` (an e-certificate only with its PIN). `available`
 * is what may be spent then: nothing on a card that is inactive, blocked or past its expiry, even
 * before the expiry job has forfeited the balance.
 */
export async function giftCardBalance(
  db: Kysely<Database>,
  /** `at`: business time of the balance; `now`: the recording clock, for the PIN guard. */
  input: { programId: number; number: string; pin?: string; at: Date; now: Date },
): Promise<GiftCardView> {
  const card = await findGiftCard(db, input.programId, input.number);
  await guardPin(db, { ...input, pin: input.pin, field: 'pin' });
  return giftCardView(card, await accountBalance(db, card.accountId), input.at);
}
