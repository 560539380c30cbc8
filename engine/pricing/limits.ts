import type { CustomerContext } from './check';
import type { Rule } from './rules';

/**
 * Usage limits and budgets of a rule against what was used so far (supplied by the caller, who
 * re-checks under a lock at confirm).
 */

/** The exhausted limit's name, or null while the rule may still be used. */
export function exhaustedLimit(rule: Rule, context: CustomerContext): string | null {
  const l = rule.limits;
  if (!l) return null;
  const total = context.usage[rule.id];
  const mine = context.customerUsage[rule.id];
  if (l.totalUses !== undefined && (total?.uses ?? 0) >= l.totalUses) return 'totalUses';
  if (l.customerUses !== undefined && (mine?.uses ?? 0) >= l.customerUses) return 'customerUses';
  if (l.totalDiscount !== undefined && (total?.discount ?? 0) >= l.totalDiscount) return 'totalDiscount';
  if (l.customerDiscount !== undefined && (mine?.discount ?? 0) >= l.customerDiscount) {
    return 'customerDiscount';
  }
  if (l.totalPoints !== undefined && (total?.points ?? 0) >= l.totalPoints) return 'totalPoints';
  if (l.customerPoints !== undefined && (mine?.points ?? 0) >= l.customerPoints) return 'customerPoints';
  return null;
}

/** Whether the rule counts anything per customer, so that an anonymous check cannot use it. */
export const hasCustomerLimits = (rule: Rule): boolean =>
  rule.limits !== undefined &&
  (rule.limits.customerUses !== undefined ||
    rule.limits.customerDiscount !== undefined ||
    rule.limits.customerPoints !== undefined);

/**
 * What is left of the rule's discount (`discount`) or points (`points`) budget, and which budget
 * binds; Infinity when the rule has none.
 */
export function remainingBudget(
  rule: Rule,
  context: CustomerContext,
  kind: 'discount' | 'points',
): { left: number; limit: string | null } {
  const l = rule.limits;
  if (!l) return NO_BUDGET;
  const budgets =
    kind === 'discount'
      ? [
          { cap: l.totalDiscount, used: context.usage[rule.id]?.discount, name: 'totalDiscount' },
          {
            cap: l.customerDiscount,
            used: context.customerUsage[rule.id]?.discount,
            name: 'customerDiscount',
          },
        ]
      : [
          { cap: l.totalPoints, used: context.usage[rule.id]?.points, name: 'totalPoints' },
          { cap: l.customerPoints, used: context.customerUsage[rule.id]?.points, name: 'customerPoints' },
        ];
  let out: { left: number; limit: string | null } = NO_BUDGET;
  for (const b of budgets) {
    if (b.cap !== undefined && b.cap - (b.used ?? 0) < out.left) {
      out = { left: Math.max(0, b.cap - (b.used ?? 0)), limit: b.name };
    }
  }
  return out;
}

const NO_BUDGET = { left: Infinity, limit: null } as const;
