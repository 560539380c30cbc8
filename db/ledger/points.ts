import {
  applyDraws,
  balanceAt,
  planAccrual,
  planClawback,
  planSpend,
  type BalanceView,
  type LotDraw,
  type ShortfallPolicy,
} from '../../engine/ledger/lots';
import { DomainError } from '../../engine/errors';
import type { Kysely } from 'kysely';
import type { Database } from '../schema';
import { lockAccount, openLots, postEntry, programAccount, readAccount, setDebt, type Trx } from './store';

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

async function assertPointsAccount(trx: Trx, accountId: number) {
  const account = await lockAccount(trx, accountId);
  if (account.kind !== 'points') {
    throw new DomainError(
      'wrong_account_kind',
      `account ${accountId} is not a points account`,
      422,
      'account',
    );
  }
  return account;
}

async function view(db: Kysely<Database>, accountId: number, at: Date): Promise<BalanceView> {
  const account = await readAccount(db, accountId);
  return balanceAt(await openLots(db, accountId), account.debt, at);
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
  },
): Promise<PointsResult & { repaid: number }> {
  const account = await assertPointsAccount(trx, ctx.accountId);
  const { repaid, lotAmount } = planAccrual(ctx.amount, account.debt);
  const counter = await programAccount(trx, ctx.programId, ctx.role ?? 'issuance', account.currency);
  const entryId = await postEntry(trx, {
    ...ctx,
    kind: ctx.kind ?? 'accrue',
    details: { ...ctx.details, repaidDebt: repaid },
    lines: [
      { accountId: counter, currency: account.currency, amount: -ctx.amount },
      { accountId: account.id, currency: account.currency, amount: ctx.amount },
    ],
    newLots: lotAmount > 0 ? [{ accountId: account.id, amount: lotAmount, ...ctx.lot }] : [],
  });
  if (repaid > 0) await setDebt(trx, account.id, account.debt - repaid);
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    repaid,
    balance: balanceAt(await openLots(trx, account.id), account.debt - repaid, ctx.occurredAt),
  };
}

/** Debits points the customer spends: never more than available, soonest-expiring lots first. */
export async function spendPoints(
  trx: Trx,
  ctx: OperationContext & { accountId: number; amount: number; role?: string; kind?: string },
): Promise<PointsResult> {
  const account = await assertPointsAccount(trx, ctx.accountId);
  const lots = await openLots(trx, account.id);
  const draws = planSpend(lots, account.debt, ctx.amount, ctx.occurredAt);
  const counter = await programAccount(trx, ctx.programId, ctx.role ?? 'redemption', account.currency);
  const entryId = await postEntry(trx, {
    ...ctx,
    kind: ctx.kind ?? 'spend',
    lines: [
      { accountId: account.id, currency: account.currency, amount: -ctx.amount },
      { accountId: counter, currency: account.currency, amount: ctx.amount },
    ],
    draws,
  });
  return {
    entryId,
    accountId: account.id,
    amount: ctx.amount,
    draws,
    balance: balanceAt(applyDraws(lots, draws, -1), account.debt, ctx.occurredAt),
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
  const account = await assertPointsAccount(trx, ctx.accountId);
  const lots = await openLots(trx, account.id);
  const plan = planClawback(lots, ctx.amount, ctx.occurredAt, ctx.policy);
  const fromAccount = ctx.amount - plan.writtenOff;
  const counter = await programAccount(trx, ctx.programId, ctx.role ?? 'clawback', account.currency);
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

/** The balance view of a points account at a business time (a read: no lock taken). */
export async function pointsBalance(db: Kysely<Database>, accountId: number, at: Date): Promise<BalanceView> {
  return view(db, accountId, at);
}
