import { planMove, receivedLots } from '../../engine/ledger/lots';
import type { LockedAccount, Trx } from './store';
import { lockAccountsInOrder, openLots, postEntry } from './store';

export interface MovedAccount {
  fromAccountId: number;
  toAccountId: number;
  kind: string;
  currency: string;
  balance: number;
  lots: number;
  debt: number;
  entryId: number | null;
}

/**
 * Empties one locked account into another of the same kind and currency by one balanced entry dated at
 * the move: a points account's open lots not expired by then are drawn whole and recreated on the target
 * with their dates (lot movements on both sides, so either account's balance as of any time is right),
 * and its debt is carried over; expired lots stay for the expiry job. The source keeps its journal
 * history and its lots, emptied. The caller locks both accounts, in id order.
 */
export async function moveAccountContents(
  trx: Trx,
  input: {
    programId: number;
    from: LockedAccount;
    to: LockedAccount;
    kind: string;
    occurredAt: Date;
    actor: string;
    reason: string;
    details: Record<string, unknown>;
  },
): Promise<MovedAccount> {
  const { from, to } = input;
  const sourceLots = from.kind === 'points' ? await openLots(trx, from.id) : [];
  const draws = planMove(sourceLots, input.occurredAt);
  // A points account moves its lots less its debt, any other its balance.
  const amount =
    from.kind === 'points' ? draws.reduce((sum, d) => sum + d.amount, 0) - from.debt : from.balance;
  const entryId =
    amount === 0 && draws.length === 0
      ? null
      : await postEntry(trx, {
          programId: input.programId,
          kind: input.kind,
          occurredAt: input.occurredAt,
          actor: input.actor,
          reason: input.reason,
          details: input.details,
          lines: [
            { accountId: from.id, currency: from.currency, amount: -amount },
            { accountId: to.id, currency: to.currency, amount },
          ],
          draws,
          newLots: receivedLots(sourceLots, draws).map((lot) => ({ ...lot, accountId: to.id })),
        });
  if (from.debt > 0) {
    await trx
      .updateTable('accounts')
      .set((eb) => ({ debt: eb('debt', '+', from.debt) }))
      .where('id', '=', to.id)
      .execute();
    await trx.updateTable('accounts').set({ debt: 0 }).where('id', '=', from.id).execute();
  }
  return {
    fromAccountId: from.id,
    toAccountId: to.id,
    kind: from.kind,
    currency: from.currency,
    balance: amount,
    lots: draws.length,
    debt: from.debt,
    entryId,
  };
}

/**
 * Empties each `from` account into its `to` account: all accounts are locked in id order first (so two
 * such moves cannot deadlock), then each pair is moved with one entry of `entry.kind`.
 */
export async function moveAccounts(
  trx: Trx,
  pairs: ReadonlyArray<{ from: number; to: number }>,
  entry: {
    programId: number;
    kind: string;
    occurredAt: Date;
    actor: string;
    reason: string;
    details: Record<string, unknown>;
  },
): Promise<MovedAccount[]> {
  const locked = await lockAccountsInOrder(
    trx,
    pairs.flatMap((p) => [p.from, p.to]),
  );
  const moved: MovedAccount[] = [];
  for (const pair of pairs) {
    moved.push(
      await moveAccountContents(trx, { ...entry, from: locked.get(pair.from)!, to: locked.get(pair.to)! }),
    );
  }
  return moved;
}
