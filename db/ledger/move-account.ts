import type { LockedAccount, Trx } from './store';
import { lockAccountsInOrder, postEntry } from './store';

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
 * Empties one locked account into another of the same kind and currency: one balanced entry for the
 * balance, open lots re-pointed with their dates and remainders, debt carried over. The source keeps
 * its journal history (and its spent lots) at zero. The caller locks both accounts, in id order.
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
  const entryId =
    from.balance === 0
      ? null
      : await postEntry(trx, {
          programId: input.programId,
          kind: input.kind,
          occurredAt: input.occurredAt,
          actor: input.actor,
          reason: input.reason,
          details: input.details,
          lines: [
            { accountId: from.id, currency: from.currency, amount: -from.balance },
            { accountId: to.id, currency: to.currency, amount: from.balance },
          ],
        });
  const lots = await trx
    .updateTable('lots')
    .set({ account_id: to.id })
    .where('account_id', '=', from.id)
    .where('remaining', '>', 0)
    .executeTakeFirst();
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
    balance: from.balance,
    lots: Number(lots.numUpdatedRows),
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
