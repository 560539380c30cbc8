import { DomainError } from '../errors';
import { allocate, applyBps } from './allocate';
import type { CheckLine } from './check';
import { sum, type Units } from './discount-effects';

export interface CapCandidate {
  ruleId: string;
  target: readonly number[];
  bps: number;
}

export interface Redemption {
  capRuleId: string | null;
  eligibleAmount: number;
  maxAmount: number;
  maxPoints: number;
  /** The points taken: what the spent money needs, never more than asked. */
  spentPoints: number;
  spentAmount: number;
  /** Money paid with points per unit, and the points that paid it. */
  paid: Units;
  spentPerUnit: Units;
}

/**
 * The most that may be paid with points (the lowest applied cap, else the whole redeemable amount;
 * lines with `noRedemption` never count), and the points spent spread over the redeemable units by
 * largest remainder — money first, then the points the same way — so a return reverses exactly.
 */
export function redeem(
  lines: readonly CheckLine[],
  cur: Units,
  caps: readonly CapCandidate[],
  balance: number,
  rate: { points: number; cash: number },
  spendPoints: number,
): Redemption {
  const redeemable = (target: readonly number[]) =>
    target.filter((l) => !lines[l]!.noRedemption && !lines[l]!.excluded);
  const amountIn = (target: readonly number[]) => sum(target.map((l) => sum(cur[l]!)));
  let cap: { ruleId: string; target: number[]; max: number } | null = null;
  for (const c of caps) {
    const target = redeemable(c.target);
    const max = applyBps(amountIn(target), c.bps);
    if (cap === null || max < cap.max) cap = { ruleId: c.ruleId, target, max };
  }
  const target = cap?.target ?? redeemable(lines.map((_, l) => l));
  const eligibleAmount = amountIn(target);
  const maxAmount = cap ? cap.max : eligibleAmount;
  const capPoints = Number((BigInt(maxAmount) * BigInt(rate.points)) / BigInt(rate.cash));
  const maxPoints = Math.min(Math.max(balance, 0), capPoints);
  if (!Number.isSafeInteger(spendPoints) || spendPoints < 0) {
    throw new DomainError('invalid_spend', 'spendPoints must be an integer ≥ 0', 422, 'spendPoints');
  }
  if (spendPoints > capPoints) {
    throw new DomainError(
      'redemption_over_cap',
      `at most ${capPoints} points may be spent on this check`,
      422,
      'spendPoints',
    );
  }
  // The ledger's refusal, named for the till's field: another till may have spent the points meanwhile.
  if (spendPoints > maxPoints) {
    throw new DomainError(
      'insufficient_points',
      `only ${maxPoints} points are available, ${spendPoints} requested`,
      409,
      'spendPoints',
    );
  }
  const spentAmount = Number((BigInt(spendPoints) * BigInt(rate.cash)) / BigInt(rate.points));
  // Only the points the money needs are taken: 19 points at 10 a kopeck pay 1 kopeck with 10.
  const spentPoints = Number(
    (BigInt(spentAmount) * BigInt(rate.points) + BigInt(rate.cash) - 1n) / BigInt(rate.cash),
  );
  const paid: Units = cur.map((u) => u.map(() => 0));
  const spentPerUnit: Units = cur.map((u) => u.map(() => 0));
  const cells: [number, number][] = [];
  const weights: number[] = [];
  for (const l of target) {
    cur[l]!.forEach((c, u) => {
      cells.push([l, u]);
      weights.push(c);
    });
  }
  if (cells.length > 0) {
    allocate(spentAmount, weights).forEach((x, k) => {
      const [l, u] = cells[k]!;
      paid[l]![u] = x;
    });
    allocate(
      spentPoints,
      cells.map(([l, u]) => paid[l]![u]!),
    ).forEach((x, k) => {
      const [l, u] = cells[k]!;
      spentPerUnit[l]![u] = x;
    });
  }
  return {
    capRuleId: cap?.ruleId ?? null,
    eligibleAmount,
    maxAmount,
    maxPoints,
    spentPoints,
    spentAmount,
    paid,
    spentPerUnit,
  };
}
