import { counterKey, type CounterSpec } from './counters';
import type { Condition, ConditionLeaf, Rule } from './rules';

type HistoryLeaf = Extract<
  ConditionLeaf,
  { type: 'nthPurchase' | 'repeatPurchase' | 'accumulatedAmount' | 'previousPurchase' }
>;

const scopeOf = (c: {
  period?: CounterSpec['period'];
  storeIds?: string[] | undefined;
  storeGroupIds?: string[] | undefined;
}) => ({
  ...(c.period ? { period: c.period } : {}),
  ...(c.storeIds ? { storeIds: c.storeIds } : {}),
  ...(c.storeGroupIds ? { storeGroupIds: c.storeGroupIds } : {}),
});

/** The counter a purchase-history condition reads. */
export function conditionCounter(c: HistoryLeaf): CounterSpec {
  switch (c.type) {
    case 'nthPurchase':
      return { kind: 'purchaseCount', ...scopeOf(c) };
    case 'repeatPurchase':
      return { kind: 'purchaseCount', period: { lastDays: c.withinDays } };
    case 'accumulatedAmount':
      return { kind: 'purchaseAmount', ...scopeOf(c) };
    case 'previousPurchase':
      return { kind: 'goodsQuantity', filter: c.filter, period: { lastDays: c.withinDays } };
  }
}

/**
 * The counters a rule's relative validity reads when it starts from an accumulated amount: when the
 * amount was reached, and the amount so far (to tell whether this check reaches it).
 */
export function relativeValidityCounters(rule: Rule): { reachedAt: CounterSpec; amount: CounterSpec } | null {
  const relative = rule.validity?.relative;
  if (relative?.from !== 'amountReached') return null;
  return {
    reachedAt: { kind: 'amountReachedAt', amount: relative.amount, ...scopeOf(relative) },
    amount: { kind: 'purchaseAmount', ...scopeOf(relative) },
  };
}

function collect(c: Condition, out: Map<string, CounterSpec>): void {
  switch (c.type) {
    case 'and':
      c.all.forEach((part) => collect(part, out));
      return;
    case 'or':
      c.any.forEach((part) => collect(part, out));
      return;
    case 'not':
      collect(c.not, out);
      return;
    case 'nthPurchase':
    case 'repeatPurchase':
    case 'previousPurchase':
    case 'accumulatedAmount': {
      const spec = conditionCounter(c);
      out.set(counterKey(spec), spec);
      return;
    }
    default:
      return;
  }
}

/**
 * Every counter the rules read, each once, by key: what the caller computes from the purchase history
 * and supplies in the customer context.
 */
export function requiredCounters(rules: readonly Rule[]): Map<string, CounterSpec> {
  const out = new Map<string, CounterSpec>();
  for (const rule of rules) {
    if (rule.condition) collect(rule.condition, out);
    const relative = relativeValidityCounters(rule);
    for (const spec of relative ? [relative.reachedAt, relative.amount] : []) out.set(counterKey(spec), spec);
  }
  return out;
}
