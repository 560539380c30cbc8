import {
  assertPositiveAmount,
  planAccrual,
  planClawback,
  insufficientPoints,
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
  postEntryWithBalance,
  postSpend,
  setDebt,
  type LockedWithCounter,
  type Trx,
} from './store';

export { pointsBalance } from './store';

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
  const { entryId, balance } = await postEntryWithBalance(
    trx,
    {
      ...ctx,
      kind: ctx.kind ?? 'accrue',
      details: { ...ctx.details, repaidDebt: repaid },
      lines: [
        { accountId: counterId, currency: account.currency, amount: -ctx.amount },
        { accountId: account.id, currency: account.currency, amount: ctx.amount },
      ],
      newLots:
        lotAmount > 0 ? [{ accountId: account.id, amount: lotAmount, ...ctx.lot, activatedAt: null }] : [],
    },
    account.id,
  );
  if (repaid > 0) await setDebt(trx, account.id, account.debt - repaid);
  return { entryId, accountId: account.id, amount: ctx.amount, repaid, balance };
}

/**
 * Debits points the customer spends: never more than available, soonest-expiring lots first. The draws
 * are planned in the writing statement, which refuses what the lots do not cover and answers what they
 * hold, for the engine's refusal.
 */
export async function spendPoints(
  trx: Trx,
  ctx: OperationContext & { accountId: number; amount: number; role?: string; kind?: string },
): Promise<PointsResult> {
  const { account, counterId } = await lockPointsAccount(trx, ctx, ctx.role ?? 'redemption');
  assertPositiveAmount(ctx.amount);
  const { entryId, draws, balance, spendable } = await postSpend(
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
  if (entryId === null) throw insufficientPoints(Math.max(0, spendable - account.debt), ctx.amount);
  return { entryId, accountId: account.id, amount: ctx.amount, draws, balance };
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
  const { entryId, balance } = await postEntryWithBalance(
    trx,
    {
      ...ctx,
      kind: ctx.kind ?? 'clawback',
      details: { ...ctx.details, newDebt: plan.newDebt, writtenOff: plan.writtenOff },
      lines: fromAccount > 0 ? lines : [],
      draws: plan.draws,
    },
    account.id,
  );
  if (plan.newDebt > 0) await setDebt(trx, account.id, account.debt + plan.newDebt);
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    draws: plan.draws,
    newDebt: plan.newDebt,
    writtenOff: plan.writtenOff,
    balance,
  };
}

/**
 * The points an operation dated `at` can draw from the account now: its open lots that were on it,
 * active and unexpired at `at`, less its debt, never below zero — what `planSpend` and `planClawback`
 * see, so returns decide on it. Whenever nothing is dated after `at` (every operation at about now) it
 * is `pointsBalance(...).available`; for an earlier `at` that is the balance as of then, which may
 * differ by what was spent or earned since. One query, reading only the open lots that are not
 * spendable at `at` (pending, expired or created later), so it does not grow with the history.
 */
export async function availablePoints(db: Kysely<Database>, accountId: number, at: Date): Promise<number> {
  const { rows } = await sql<{ available: number }>`
    select ${availableSql('a', at)} as available from accounts a where a.id = ${accountId}`.execute(db);
  return Number(rows[0]?.available ?? 0);
}

/**
 * The SQL of {@link availablePoints} for the account row `alias` (null when the row is): for queries
 * that read it beside other things, as the till's customer lookup does. The open lots hold the balance
 * plus the debt, so the spendable ones less the debt are the balance less the open lots that are not.
 */
export function availableSql(alias: string, at: unknown) {
  const id = sql.ref(`${alias}.id`);
  const time = sql`cast(${at} as timestamptz)`;
  return sql<number | null>`(select greatest(0, b.balance - coalesce((select sum(x.remaining) from (
      select l.id, l.remaining from lots l where l.account_id = b.id and l.remaining > 0 and l.activates_at > ${time}
      union select l.id, l.remaining from lots l
        where l.account_id = b.id and l.remaining > 0 and coalesce(l.expires_at, 'infinity') <= ${time}
      union select l.id, l.remaining from lots l where l.account_id = b.id and l.remaining > 0 and l.occurred_at > ${time}
    ) x), 0))::bigint from accounts b where b.id = ${id})`;
}
