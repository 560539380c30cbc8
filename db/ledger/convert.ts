import { convertAmount, type ConversionRate } from '../../engine/ledger/conversion';
import { moveCash } from './cash';
import { accruePoints, spendPoints, type OperationContext } from './points';
import type { Trx } from './store';

/** Converts between a customer's cash account and points account through the program's conversion accounts. */
export async function convertCashAndPoints(
  trx: Trx,
  ctx: OperationContext & {
    direction: 'cash-to-points' | 'points-to-cash';
    amount: number;
    rate: ConversionRate;
    cashAccountId: number;
    pointsAccountId: number;
    lot: { activatesAt: Date; expiresAt: Date | null };
  },
): Promise<{
  cash: number;
  points: number;
  cashBalance: number;
  pointsEntryId: number;
  cashEntryId: number;
}> {
  const { cash, points } = convertAmount(ctx.direction, ctx.amount, ctx.rate);
  const base = {
    ...ctx,
    kind: 'convert',
    role: 'conversion',
    details: { ...ctx.details, direction: ctx.direction, cash, points },
  };
  if (ctx.direction === 'cash-to-points') {
    const moved = await moveCash(trx, {
      ...base,
      accountId: ctx.cashAccountId,
      amount: cash,
      direction: 'debit',
    });
    const accrued = await accruePoints(trx, {
      ...base,
      accountId: ctx.pointsAccountId,
      amount: points,
      lot: ctx.lot,
    });
    return {
      cash,
      points,
      cashBalance: moved.balance,
      pointsEntryId: accrued.entryId,
      cashEntryId: moved.entryId,
    };
  }
  const spent = await spendPoints(trx, { ...base, accountId: ctx.pointsAccountId, amount: points });
  const moved = await moveCash(trx, {
    ...base,
    accountId: ctx.cashAccountId,
    amount: cash,
    direction: 'credit',
  });
  return {
    cash,
    points,
    cashBalance: moved.balance,
    pointsEntryId: spent.entryId,
    cashEntryId: moved.entryId,
  };
}
