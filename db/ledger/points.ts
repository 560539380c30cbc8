import {
  applyDraws,
  assertPositiveAmount,
  balanceAt,
  planAccrual,
  planClawback,
  planSpend,
  type BalanceView,
  type LotDraw,
  type ShortfallPolicy,
} from '../../engine/ledger/lots';
import { DomainError } from '../../engine/errors';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import {
  lockAccountWithCounter,
  openLots,
  postEntry,
  postEntryWithTotals,
  postSpend,
  readAccount,
  setDebt,
  spendableLots,
  viewOfTotals,
  type LockedWithCounter,
  type Trx,
} from './store';

export interface OperationContext {
  programId: number;
  /** Business time of the operation. */
  occurredAt: Date;
  /** Who did it: `api-key:12`, `staff:3`, `system:expiry`. */
  actor: string;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface PointsResult {
  entryId: number;
  accountId: number;
  amount: number;
  balance: BalanceView;
  draws?: LotDraw[];
}

/** Locks a points account and finds the program's counter-account for `role` in one round trip. */
async function lockPointsAccount(trx: Trx, ctx: OperationContext & { accountId: number }, role: string) {
  const locked = await lockAccountWithCounter(trx, ctx.accountId, ctx.programId, role);
  if (locked.account.kind !== 'points') {
    throw new DomainError(
      'wrong_account_kind',
      `account ${ctx.accountId} is not a points account`,
      422,
      'account',
    );
  }
  return locked;
}

/**
 * Credits points: debt is repaid first, the rest becomes a lot with the given dates. The counter-account
 * is the program's `role` account (issuance for earned points, adjustment for manual ones, …).
 */
export async function accruePoints(
  trx: Trx,
  ctx: OperationContext & {
    accountId: number;
    amount: number;
    lot: { activatesAt: Date; expiresAt: Date | null };
    role?: string;
    kind?: string;
    /**
     * The account as this transaction locked it with its `role` counter-account, when nothing changed
     * it since: spares locking it again.
     */
    locked?: LockedWithCounter;
  },
): Promise<PointsResult & { repaid: number }> {
  const { account, counterId } =
    ctx.locked?.account.id === ctx.accountId &&
    ctx.locked.account.kind === 'points' &&
    ctx.locked.role === (ctx.role ?? 'issuance')
      ? ctx.locked
      : await lockPointsAccount(trx, ctx, ctx.role ?? 'issuance');
  const { repaid, lotAmount } = planAccrual(ctx.amount, account.debt);
  const { entryId, totals } = await postEntryWithTotals(
    trx,
    {
      ...ctx,
      kind: ctx.kind ?? 'accrue',
      details: { ...ctx.details, repaidDebt: repaid },
      lines: [
        { accountId: counterId, currency: account.currency, amount: -ctx.amount },
        { accountId: account.id, currency: account.currency, amount: ctx.amount },
      ],
      newLots: lotAmount > 0 ? [{ accountId: account.id, amount: lotAmount, ...ctx.lot }] : [],
    },
    { accountId: account.id, at: ctx.occurredAt },
  );
  if (repaid > 0) await setDebt(trx, account.id, account.debt - repaid);
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    repaid,
    balance: viewOfTotals(totals, account.debt - repaid),
  };
}

/**
 * Debits points the customer spends: never more than available, soonest-expiring lots first. The draws
 * are planned in the writing statement, which refuses what the lots do not cover; a refusal reads the
 * lots the engine would draw from, for the engine to give its answer.
 */
export async function spendPoints(
  trx: Trx,
  ctx: OperationContext & { accountId: number; amount: number; role?: string; kind?: string },
): Promise<PointsResult> {
  const { account, counterId } = await lockPointsAccount(trx, ctx, ctx.role ?? 'redemption');
  assertPositiveAmount(ctx.amount);
  const { entryId, draws, totals } = await postSpend(
    trx,
    {
      ...ctx,
      kind: ctx.kind ?? 'spend',
      lines: [
        { accountId: account.id, currency: account.currency, amount: -ctx.amount },
        { accountId: counterId, currency: account.currency, amount: ctx.amount },
      ],
    },
    { accountId: account.id, at: ctx.occurredAt, amount: ctx.amount, debt: account.debt },
  );
  if (entryId === null) {
    const { lots } = await spendableLots(trx, account.id, ctx.occurredAt, ctx.amount + account.debt);
    planSpend(lots, account.debt, ctx.amount, ctx.occurredAt);
    throw new Error(
      `spend of ${ctx.amount} from account ${account.id} refused by the ledger, planned by the engine`,
    );
  }
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    draws,
    balance: viewOfTotals(
      { ...totals, spendable: totals.spendable - draws.reduce((sum, d) => sum + d.amount, 0) },
      account.debt,
    ),
  };
}

/**
 * Takes points back: from lots first, the shortfall as debt or written off per policy. The only way a
 * balance goes below zero.
 */
export async function clawbackPoints(
  trx: Trx,
  ctx: OperationContext & {
    accountId: number;
    amount: number;
    policy: ShortfallPolicy;
    role?: string;
    kind?: string;
  },
): Promise<PointsResult & { newDebt: number; writtenOff: number }> {
  const { account, counterId: counter } = await lockPointsAccount(trx, ctx, ctx.role ?? 'clawback');
  const lots = await openLots(trx, account.id);
  const plan = planClawback(lots, ctx.amount, ctx.occurredAt, ctx.policy);
  const fromAccount = ctx.amount - plan.writtenOff;
  const lines = [{ accountId: counter, currency: account.currency, amount: fromAccount }];
  if (fromAccount > 0)
    lines.push({ accountId: account.id, currency: account.currency, amount: -fromAccount });
  const entryId = await postEntry(trx, {
    ...ctx,
    kind: ctx.kind ?? 'clawback',
    details: { ...ctx.details, newDebt: plan.newDebt, writtenOff: plan.writtenOff },
    lines: fromAccount > 0 ? lines : [],
    draws: plan.draws,
  });
  if (plan.newDebt > 0) await setDebt(trx, account.id, account.debt + plan.newDebt);
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    draws: plan.draws,
    newDebt: plan.newDebt,
    writtenOff: plan.writtenOff,
    balance: balanceAt(applyDraws(lots, plan.draws, -1), account.debt + plan.newDebt, ctx.occurredAt),
  };
}

/**
 * What a points account holds now, its open lots split by their dates at `at`: the answer of an
 * operation just written at `at` (expired points stay in `balance` until the expiry job burns them).
 */
export async function heldBalance(db: Kysely<Database>, accountId: number, at: Date): Promise<BalanceView> {
  const account = await readAccount(db, accountId);
  return balanceAt(await openLots(db, accountId), account.debt, at);
}

/**
 * The balance of a points account as it stood at a business time (a read: no lock taken), from the
 * journal lines and lot movements dated up to `at` alone, so whatever happened later changes nothing.
 * A lot is gone at its expiry whether or not the expiry job has burnt it yet: `balance` and `available`
 * leave it out and `expired` counts every point that expired by `at`. The debt is what the lots held
 * beyond the journal's balance at `at`.
 */
export async function pointsBalance(db: Kysely<Database>, accountId: number, at: Date): Promise<BalanceView> {
  const { rows } = await sql<{ spendable: number; pending: number; expired: number; debt: number }>`
    with lot as (
      select l.activates_at, l.expires_at,
        l.amount + coalesce(sum(m.amount) filter (where e.occurred_at <= ${at}), 0) as held,
        l.amount + coalesce(sum(m.amount) filter (where e.occurred_at <= ${at} and e.kind <> 'expire'), 0)
          as unburnt
      from lots l
      join journal_entries c on c.id = l.entry_id and c.occurred_at <= ${at}
      left join lot_movements m on m.lot_id = l.id
      left join journal_entries e on e.id = m.entry_id
      where l.account_id = ${accountId}
      group by l.id
    ),
    live as (select * from lot where expires_at is null or expires_at > ${at})
    select
      (select coalesce(sum(held), 0) from live where activates_at <= ${at})::bigint as spendable,
      (select coalesce(sum(held), 0) from live where activates_at > ${at})::bigint as pending,
      (select coalesce(sum(unburnt), 0) from lot where expires_at <= ${at})::bigint as expired,
      ((select coalesce(sum(held), 0) from lot) - (select coalesce(sum(jl.amount), 0)
        from journal_lines jl join journal_entries je on je.id = jl.entry_id
        where jl.account_id = ${accountId} and je.occurred_at <= ${at}))::bigint as debt`.execute(db);
  const { spendable, pending, expired, debt } = rows[0]!;
  return {
    balance: spendable + pending - debt,
    available: Math.max(0, spendable - debt),
    pending,
    expired,
    debt,
  };
}

/**
 * The points an account may spend at a business time, summed in one query (the till reads this on
 * every call): active, unexpired lots less the debt, never below zero — `pointsBalance(...).available`.
 */
export async function availablePoints(db: Kysely<Database>, accountId: number, at: Date): Promise<number> {
  const { rows } = await sql<{ available: number }>`
    select ${availableSql('a', at)} as available from accounts a where a.id = ${accountId}`.execute(db);
  return Number(rows[0]?.available ?? 0);
}

/**
 * The SQL of {@link availablePoints} for the account row `alias` (null when the row is): for queries
 * that read it beside other things, as the till's customer lookup does.
 */
export function availableSql(alias: string, at: unknown) {
  return sql<number | null>`greatest(0, coalesce((select sum(l.remaining) from lots l
    where l.account_id = ${sql.ref(`${alias}.id`)} and l.remaining > 0 and l.activates_at <= ${at}
      and (l.expires_at is null or l.expires_at > ${at})), 0) - ${sql.ref(`${alias}.debt`)})::bigint`;
}
