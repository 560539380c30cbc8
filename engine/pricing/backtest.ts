import type { Check, CustomerContext } from './check';
import { compileRules } from './compile';
import { evaluateCheck } from './evaluate';
import type { Rule } from './rules';

export interface PastCheck {
  /** Anonymous checks have none: they count towards checks, not customers. */
  customerId: string | null;
  check: Check;
  customer: CustomerContext;
  at: Date;
}

export interface RuleTotals {
  checks: number;
  customers: number;
  discount: number;
  points: number;
}

export interface BacktestReport {
  checks: number;
  /** Checks where at least one rule of the set applied. */
  reachedChecks: number;
  reachedCustomers: number;
  discount: number;
  points: number;
  /** Revenue after discounts over the checks, to set the cost against. */
  finalAmount: number;
  perRule: Record<string, RuleTotals>;
}

/**
 * Evaluates a draft rule set over past checks (the customers' contexts as they were then) and adds
 * up its cost and reach: the core of a promotion simulator. The rule set is compiled once.
 */
export function backtest(rules: readonly Rule[], past: Iterable<PastCheck>): BacktestReport {
  const compiled = compileRules(rules);
  const report: BacktestReport = {
    checks: 0,
    reachedChecks: 0,
    reachedCustomers: 0,
    discount: 0,
    points: 0,
    finalAmount: 0,
    perRule: {},
  };
  const reached = new Set<string>();
  const perRuleCustomers = new Map<string, Set<string>>();
  for (const item of past) {
    const result = evaluateCheck(compiled, item.check, item.customer, item.at, { explainAll: false });
    report.checks += 1;
    report.discount += result.discount;
    report.points += result.totalPoints;
    report.finalAmount += result.finalAmount;
    let any = false;
    for (const explanation of result.explanations) {
      // A rule that applied but gave nothing (M-for-N short of a full set) reached nobody.
      if (explanation.status !== 'applied' || (explanation.discount === 0 && explanation.points === 0))
        continue;
      any = true;
      const totals = (report.perRule[explanation.ruleId] ??= {
        checks: 0,
        customers: 0,
        discount: 0,
        points: 0,
      });
      totals.checks += 1;
      totals.discount += explanation.discount;
      totals.points += explanation.points;
      if (item.customerId !== null) {
        const customers = perRuleCustomers.get(explanation.ruleId) ?? new Set<string>();
        customers.add(item.customerId);
        perRuleCustomers.set(explanation.ruleId, customers);
      }
    }
    if (any) {
      report.reachedChecks += 1;
      if (item.customerId !== null) reached.add(item.customerId);
    }
  }
  report.reachedCustomers = reached.size;
  for (const [ruleId, customers] of perRuleCustomers) report.perRule[ruleId]!.customers = customers.size;
  return report;
}
