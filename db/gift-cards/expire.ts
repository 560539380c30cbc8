import type { DB } from '../database';
import { lockGiftCard } from './cards';
import { accountBalance, giftCardRoles, moveGiftCardMoney } from './money';

const pageSize = 500;

/**
 * The expiry job: every card whose validity ended by `at` loses what is left on it to the program's
 * gift card expiry account (breakage), booked at the card's expiry time; an active card becomes
 * expired (a blocked one stays blocked). One transaction per card; running it again changes nothing,
 * and a refund to an expired card is forfeited by the next run.
 */
export async function expireGiftCards(db: DB, at: Date): Promise<{ cards: number; forfeited: number }> {
  let cards = 0;
  let forfeited = 0;
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('gift_cards as g')
      .innerJoin('accounts as a', 'a.id', 'g.account_id')
      .select(['g.id', 'g.program_id as programId'])
      .where('g.expires_at', '<=', at)
      .where('g.id', '>', after)
      .where((eb) => eb.or([eb('g.status', '=', 'active'), eb('a.balance', '>', 0)]))
      .orderBy('g.id')
      .limit(pageSize)
      .execute();
    for (const { id, programId } of page) {
      forfeited += await db.transaction().execute(async (trx) => {
        const card = await lockGiftCard(trx, programId, { id });
        const balance = await accountBalance(trx, card.accountId);
        if (balance > 0) {
          await moveGiftCardMoney(trx, {
            programId,
            accountId: card.accountId!,
            amount: -balance,
            role: giftCardRoles.expiry,
            kind: 'gift_card.expire',
            // at the expiry itself; a refund that came after it is forfeited when this run finds it
            occurredAt: card.status === 'active' ? card.expiresAt! : at,
            actor: 'system:gift-card-expiry',
            details: { giftCardId: card.id },
          });
        }
        if (card.status === 'active')
          await trx.updateTable('gift_cards').set({ status: 'expired' }).where('id', '=', id).execute();
        return balance;
      });
      cards += 1;
    }
    if (page.length < pageSize) return { cards, forfeited };
    after = page[page.length - 1]!.id;
  }
}
