import { DomainError } from '../../engine/errors';
import { assertPositiveAmount } from '../../engine/ledger/lots';
import type { OperationContext } from './points';
import { lockAccountWithCounter, postEntry, type Trx } from './store';

/**
 * Stored value (cash accounts, gift cards): no lots, a balance that never goes below zero. `role` is
 * the program's counter-account (top-up clearing, gift-card sales, purchase payments, conversion).
 */
export async function moveCash(
  trx: Trx,
  ctx: OperationContext & {
    accountId: number;
    amount: number;
    direction: 'credit' | 'debit';
    role: string;
    kind: string;
  },
): Promise<{ entryId: number; balance: number }> {
  assertPositiveAmount(ctx.amount);
  const { account, counterId } = await lockAccountWithCounter(trx, ctx.accountId, ctx.programId, ctx.role);
  if (account.kind !== 'cash' && account.kind !== 'gift_card') {
    throw new DomainError('wrong_account_kind', `account ${account.id} holds no money`, 422, 'account');
  }
  const signed = ctx.direction === 'credit' ? ctx.amount : -ctx.amount;
  if (account.balance + signed < 0) {
    throw new DomainError(
      'insufficient_funds',
      `only ${account.balance} on the account, ${ctx.amount} requested`,
      409,
      'amount',
    );
  }
  const entryId = await postEntry(trx, {
    ...ctx,
    lines: [
      { accountId: account.id, currency: account.currency, amount: signed },
      { accountId: counterId, currency: account.currency, amount: -signed },
    ],
  });
  return { entryId, balance: account.balance + signed };
}
