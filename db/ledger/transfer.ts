import { planAccrual, planSpend, receivedLots } from '../../engine/ledger/lots';
import { DomainError } from '../../engine/errors';
import type { OperationContext, PointsResult } from './points';
import { lockAccountsInOrder, openLots, pointsBalance, postEntry, setDebt, type Trx } from './store';

/**
 * Moves points between two points accounts of one currency. The receiver's lots keep the dates of the
 * lots drawn from the sender, so a transfer cannot extend a lifetime; the receiver's debt is repaid first.
 */
export async function transferPoints(
  trx: Trx,
  ctx: OperationContext & { fromAccountId: number; toAccountId: number; amount: number },
): Promise<{ entryId: number; from: PointsResult['balance']; to: PointsResult['balance'] }> {
  if (ctx.fromAccountId === ctx.toAccountId) {
    throw new DomainError('same_account', 'cannot transfer to the same account', 422, 'to');
  }
  const locked = await lockAccountsInOrder(trx, [ctx.fromAccountId, ctx.toAccountId]);
  const from = locked.get(ctx.fromAccountId)!;
  const to = locked.get(ctx.toAccountId)!;
  if (from.kind !== 'points' || to.kind !== 'points' || from.currency !== to.currency) {
    throw new DomainError(
      'wrong_account_kind',
      'both accounts must be points accounts of one currency',
      422,
      'to',
    );
  }
  const sourceLots = await openLots(trx, from.id);
  const draws = planSpend(sourceLots, from.debt, ctx.amount, ctx.occurredAt);
  // The receiver's debt is repaid first; the rest arrives as lots with the dates of those drawn.
  const repaid = planAccrual(ctx.amount, to.debt).repaid;
  const newLots = receivedLots(sourceLots, draws, repaid).map((lot) => ({ ...lot, accountId: to.id }));
  const entryId = await postEntry(trx, {
    ...ctx,
    kind: 'transfer',
    details: { ...ctx.details, to: to.id },
    lines: [
      { accountId: from.id, currency: from.currency, amount: -ctx.amount },
      { accountId: to.id, currency: to.currency, amount: ctx.amount },
    ],
    draws,
    newLots,
  });
  if (repaid > 0) await setDebt(trx, to.id, to.debt - repaid);
  return {
    entryId,
    from: await pointsBalance(trx, from.id, ctx.occurredAt),
    to: await pointsBalance(trx, to.id, ctx.occurredAt),
  };
}
