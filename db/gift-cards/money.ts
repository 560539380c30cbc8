import { assertCovers } from '../../engine/gift-cards/card-state';
import type { Kysely } from 'kysely';
import { lockAccountWithCounter, postEntry, type Trx } from '../ledger/store';
import type { Database } from '../schema';

/** The program's counter-accounts of gift card money. */
export const giftCardRoles = {
  /** Money taken for sold cards: the program's liability to card holders. */
  sales: 'gift_card_sales',
  /** Money the cards paid with (and refunds of it). */
  redemption: 'gift_card_redemption',
  /** Balances forfeited at expiry (breakage). */
  expiry: 'gift_card_expiry',
} as const;

export interface GiftCardMove {
  programId: number;
  accountId: number;
  /** Positive credits the card, negative debits it (never below zero). */
  amount: number;
  role: string;
  kind: string;
  occurredAt: Date;
  actor: string;
  reverses?: number | null;
  details?: Record<string, unknown>;
}

/**
 * A balanced entry between a card's account and the program's `role` account, in the card's currency.
 * The caller holds the card's row lock; the account is locked here, and a debit above its balance is
 * refused with 409 gift_card_insufficient.
 */
export async function moveGiftCardMoney(
  trx: Trx,
  move: GiftCardMove,
): Promise<{ entryId: number; balance: number }> {
  const { account, counterId } = await lockAccountWithCounter(trx, move.accountId, move.programId, move.role);
  if (move.amount < 0) assertCovers(account.balance, -move.amount);
  const entryId = await postEntry(trx, {
    programId: move.programId,
    kind: move.kind,
    occurredAt: move.occurredAt,
    actor: move.actor,
    reverses: move.reverses ?? null,
    details: move.details ?? {},
    lines: [
      { accountId: account.id, currency: account.currency, amount: move.amount },
      { accountId: counterId, currency: account.currency, amount: -move.amount },
    ],
  });
  return { entryId, balance: account.balance + move.amount };
}

/** A card's balance as the ledger projects it (0 before activation). */
export async function accountBalance(db: Kysely<Database>, accountId: number | null): Promise<number> {
  if (accountId === null) return 0;
  const row = await db
    .selectFrom('accounts')
    .select('balance')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return row.balance;
}
