import { z } from 'zod';
import { DomainError } from '../errors';
import type { LineResult } from './result';

/** What happens when the points to take back exceed what the customer has. */
export const clawbackPolicySchema = z.enum(['debt', 'deduct-from-refund', 'write-off']);
export type ClawbackPolicy = z.infer<typeof clawbackPolicySchema>;

export interface ReturnedUnits {
  /** Position of the line in the purchase. */
  line: number;
  /** Unit positions within the line (each unit can be returned once). */
  units: number[];
}

export interface ReturnReversal {
  /** Money to give back: what was paid for the units in money, less any deduction for points. */
  refund: number;
  /** Discounts given on the returned units, per rule (for reports; nothing to move). */
  discounts: Record<string, number>;
  /** Points earned on the returned units, per rule: what is taken back. */
  earnedPoints: Record<string, number>;
  /** Points the customer paid these units with, given back when the program restores spent points. */
  spentPointsRestored: number;
  /** Points to take back from the account now: the earned points less what is written off or paid in money. */
  clawback: number;
  /** Of `clawback`, what exceeds the balance and becomes debt (`debt`, or what the refund could not cover). */
  debt: number;
  /** Of `clawback`, what the program forgives (policy `write-off`). */
  writtenOff: number;
  /** Money kept back from the refund for points that could not be taken (policy `deduct-from-refund`). */
  deducted: number;
}

/**
 * What to reverse for returned units, computed from the purchase's stored per-unit breakdown — never by
 * evaluating promotions again, so a return after a tier change or a rule change reverses exactly what
 * was given. `available` is the customer's spendable balance now; `pointValue` the money value of a
 * point (minor units) for deducting from the refund.
 */
export function reverseReturn(
  lines: readonly LineResult[],
  returned: readonly ReturnedUnits[],
  options: {
    alreadyReturned: ReadonlySet<string>;
    restoreSpentPoints: boolean;
    policy: ClawbackPolicy;
    available: number;
    pointValue: { points: number; cash: number };
  },
): ReturnReversal {
  const seen = new Set<string>();
  let paidInMoney = 0;
  let spent = 0;
  const discounts: Record<string, number> = {};
  const earned: Record<string, number> = {};
  for (const [i, item] of returned.entries()) {
    const line = lines.find((l) => l.index === item.line);
    if (!line)
      throw new DomainError(
        'unknown_line',
        `the purchase has no line ${item.line}`,
        422,
        `returned.${i}.line`,
      );
    for (const [j, unitIndex] of item.units.entries()) {
      const unit = line.units[unitIndex];
      const key = `${item.line}:${unitIndex}`;
      const field = `returned.${i}.units.${j}`;
      if (!unit)
        throw new DomainError('unknown_unit', `line ${item.line} has no unit ${unitIndex}`, 422, field);
      if (options.alreadyReturned.has(key) || seen.has(key)) {
        throw new DomainError(
          'already_returned',
          `unit ${unitIndex} of line ${item.line} was already returned`,
          409,
          field,
        );
      }
      seen.add(key);
      paidInMoney += unit.finalPrice - unit.paidWithPoints;
      spent += unit.pointsSpent;
      for (const d of unit.discounts) discounts[d.ruleId] = (discounts[d.ruleId] ?? 0) + d.amount;
      for (const p of unit.points) earned[p.ruleId] = (earned[p.ruleId] ?? 0) + p.points;
    }
  }
  const restored = options.restoreSpentPoints ? spent : 0;
  const earnedTotal = Object.values(earned).reduce((sum, n) => sum + n, 0);
  // Spent points are given back before earned ones are taken, so they count towards the balance.
  const shortfall = Math.max(0, earnedTotal - Math.max(0, options.available) - restored);
  let refund = paidInMoney;
  let debt = 0;
  let writtenOff = 0;
  let deducted = 0;
  if (options.policy === 'debt') debt = shortfall;
  else if (options.policy === 'write-off') writtenOff = shortfall;
  else if (shortfall > 0) {
    const { points, cash } = options.pointValue;
    deducted = Math.min(refund, Math.ceil((shortfall * cash) / points));
    refund -= deducted;
    // What even the whole refund could not cover stays owed.
    debt = Math.max(0, shortfall - Math.floor((deducted * points) / cash));
  }
  return {
    refund,
    discounts,
    earnedPoints: earned,
    spentPointsRestored: restored,
    clawback: earnedTotal - writtenOff - (shortfall - writtenOff - debt),
    debt,
    writtenOff,
    deducted,
  };
}
