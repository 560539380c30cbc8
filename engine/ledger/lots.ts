import { DomainError } from '../errors';

/** One accrual's points: usable from `activatesAt`, gone at `expiresAt` (null: never expires). */
export interface Lot {
  id: number;
  remaining: number;
  activatesAt: Date;
  expiresAt: Date | null;
  /** Business time of the entry that created it: the account held none of it before. */
  createdAt: Date;
  /** When the activation job announced its points (null: not yet); moved points keep it. */
  activatedAt: Date | null;
}

export interface LotDraw {
  lotId: number;
  amount: number;
}

/**
 * A points account's balance as of a business time (db/ledger/store.ts `pointsBalance`), read from the
 * journal and the lot movements dated up to then; every operation answers it at its business time. A lot
 * past its expiry is gone whether or not the expiry job has burnt it yet.
 */
export interface BalanceView {
  /** Active and pending lots less the debt (negative only through debt); no expired lot. */
  balance: number;
  /** What can be spent at the given time: active, unexpired lots less the debt, never below zero. */
  available: number;
  /** Lots not yet active. */
  pending: number;
  /** Every point that expired by then, burnt or not. Never in `balance` or `available`. */
  expired: number;
  debt: number;
}

const isActive = (lot: Lot, at: Date) => lot.activatesAt.getTime() <= at.getTime();
const isExpired = (lot: Lot, at: Date) => lot.expiresAt !== null && lot.expiresAt.getTime() <= at.getTime();
/** The lot was on the account at `at`: an operation dated then cannot draw a lot created later. */
const existed = (lot: Lot, at: Date) => lot.createdAt.getTime() <= at.getTime();
const isSpendable = (lot: Lot, at: Date) =>
  lot.remaining > 0 && existed(lot, at) && isActive(lot, at) && !isExpired(lot, at);

/** Soonest expiry first (never-expiring last), then the oldest, then by id: a fixed, total order. */
export function spendOrder(a: Lot, b: Lot): number {
  const ea = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const aa = a.activatesAt.getTime();
  const ab = b.activatesAt.getTime();
  if (aa !== ab) return aa < ab ? -1 : 1;
  return a.id - b.id;
}

/** What can be spent at `at`: active, unexpired lots less the debt, never below zero. */
export function availableAt(lots: readonly Lot[], debt: number, at: Date): number {
  const spendable = lots.filter((lot) => isSpendable(lot, at)).reduce((sum, lot) => sum + lot.remaining, 0);
  return Math.max(0, spendable - debt);
}

function draw(lots: readonly Lot[], amount: number): LotDraw[] {
  const draws: LotDraw[] = [];
  let left = amount;
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(lot.remaining, left);
    if (take > 0) {
      draws.push({ lotId: lot.id, amount: take });
      left -= take;
    }
  }
  return draws;
}

export function assertPositiveAmount(amount: number, field = 'amount'): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError('invalid_amount', `${field} must be a positive whole number`, 422, field);
  }
}

/** The refusal of a spend of `amount` when only `available` points can be spent. */
export function insufficientPoints(available: number, amount: number): DomainError {
  return new DomainError(
    'insufficient_points',
    `only ${available} available, ${amount} requested`,
    409,
    'amount',
  );
}

/**
 * Spending draws only from spendable lots, soonest expiry first, and never overdraws: the amount must
 * not exceed what is available (spendable lots less any debt).
 */
export function planSpend(lots: readonly Lot[], debt: number, amount: number, at: Date): LotDraw[] {
  assertPositiveAmount(amount);
  const available = availableAt(lots, debt, at);
  if (amount > available) throw insufficientPoints(available, amount);
  return draw(lots.filter((lot) => isSpendable(lot, at)).sort(spendOrder), amount);
}

export type ShortfallPolicy = 'debt' | 'write-off' | 'fail';

export interface ClawbackPlan {
  draws: LotDraw[];
  /** Part of the amount no lot could cover that becomes debt (policy `debt`). */
  newDebt: number;
  /** Part of the amount no lot could cover that the program writes off (policy `write-off`). */
  writtenOff: number;
}

/**
 * Takes points back (a return, a fraud correction): spendable lots first, then pending ones; what is
 * still missing becomes debt or is written off as the policy says. Lots expired at `at` are gone whether
 * the expiry job has burnt them yet or not, so the outcome does not depend on when it ran; lots created
 * after `at` (points earned or moved in later) were not there to take.
 */
export function planClawback(
  lots: readonly Lot[],
  amount: number,
  at: Date,
  policy: ShortfallPolicy,
): ClawbackPlan {
  assertPositiveAmount(amount);
  const live = lots.filter((lot) => lot.remaining > 0 && existed(lot, at) && !isExpired(lot, at));
  const rank = (lot: Lot) => (isActive(lot, at) ? 0 : 1);
  const ordered = live.sort((a, b) => rank(a) - rank(b) || spendOrder(a, b));
  const draws = draw(ordered, amount);
  const covered = draws.reduce((sum, d) => sum + d.amount, 0);
  const shortfall = amount - covered;
  if (shortfall > 0 && policy === 'fail') {
    throw new DomainError(
      'insufficient_points',
      `only ${covered} can be taken back, ${amount} requested`,
      409,
      'amount',
    );
  }
  return {
    draws,
    newDebt: policy === 'debt' ? shortfall : 0,
    writtenOff: policy === 'write-off' ? shortfall : 0,
  };
}

/** An accrual repays debt first; only the rest becomes a new lot. */
export function planAccrual(amount: number, debt: number): { repaid: number; lotAmount: number } {
  assertPositiveAmount(amount);
  const repaid = Math.min(debt, amount);
  return { repaid, lotAmount: amount - repaid };
}

/** Lots whose expiry has passed at `at` and still hold points: what the expiry job burns. */
export function planExpiry(lots: readonly Lot[], at: Date): LotDraw[] {
  return lots
    .filter((lot) => lot.remaining > 0 && isExpired(lot, at))
    .sort(spendOrder)
    .map((lot) => ({ lotId: lot.id, amount: lot.remaining }));
}

/**
 * What an account's move into another (a merge, a pool join) or its forfeit (leaving the program) takes:
 * every open lot not expired at `at`, whole, in spend order. Expired lots stay where they expired, for
 * the expiry job to burn, so their points stay expired. Refused while an open lot was created after
 * `at` (a till clock ahead, a backdated act): moving it then would draw it before it existed.
 */
export function planMove(lots: readonly Lot[], at: Date): LotDraw[] {
  const open = lots.filter((lot) => lot.remaining > 0);
  const later = open.filter((lot) => !existed(lot, at));
  if (later.length > 0) {
    const latest = new Date(Math.max(...later.map((lot) => lot.createdAt.getTime())));
    throw new DomainError(
      'operations_after',
      `the customer has operations dated after ${at.toISOString()}: date this at or after ${latest.toISOString()}`,
      409,
      'occurredAt',
    );
  }
  return open
    .filter((lot) => !isExpired(lot, at))
    .sort(spendOrder)
    .map((lot) => ({ lotId: lot.id, amount: lot.remaining }));
}

/**
 * The receiver's lots for points drawn from `lots`: each draw with the dates of its lot, so moving points
 * never extends a lifetime, and its activation, so points already announced are not announced again.
 * The first `repaid` points repay the receiver's debt and make no lot.
 */
export function receivedLots(
  lots: readonly Lot[],
  draws: readonly LotDraw[],
  repaid = 0,
): Array<{ amount: number; activatesAt: Date; expiresAt: Date | null; activatedAt: Date | null }> {
  const byId = new Map(lots.map((lot) => [lot.id, lot]));
  let repayLeft = repaid;
  const received = [];
  for (const d of draws) {
    const repay = Math.min(repayLeft, d.amount);
    repayLeft -= repay;
    if (d.amount - repay === 0) continue;
    const { activatesAt, expiresAt, activatedAt } = byId.get(d.lotId)!;
    received.push({ amount: d.amount - repay, activatesAt, expiresAt, activatedAt });
  }
  return received;
}
