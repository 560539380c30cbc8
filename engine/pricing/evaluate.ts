import { DomainError } from '../errors';
import { allocate, applyBps } from './allocate';
import {
  type Check,
  type CheckLine,
  type CustomerContext,
  lineAmount,
  unitPrices,
  weightedAmount,
} from './check';
import { candidates, compileRules, type CompiledRules } from './compile';
import { failingRule, inControlGroup, localOf, matchesFilter, type Env } from './conditions';
import type { LotPolicy } from '../ledger/lot-policy';
import { phaseOf, type Benefit, type Rule } from './rules';

export interface EvaluateOptions {
  /** Points ↔ money: `points` points are worth `cash` minor units (the program's conversionRate). */
  conversionRate?: { points: number; cash: number };
  /**
   * Points the customer pays with (redemptionMode `discount`): converted to money (floored), spread
   * over the redeemable lines by largest remainder; above maxPoints it throws redemption_over_cap.
   */
  spendPoints?: number;
  /** Earn also on the part paid with points; default false. */
  earnOnRedeemed?: boolean;
  /** Also explain rules the index skipped (as not_eligible `target.no_lines`); default true. */
  explainAll?: boolean;
}

export type Explanation =
  | { ruleId: string; status: 'applied'; discount: number; points: number }
  /**
   * `failed` names the first failing check: validity.from | validity.to, schedule.weekday |
   * schedule.time, condition.<leaf type> (condition.or / condition.not for those nodes),
   * target.no_lines, benefit.base_not_applied (a multiplier whose earn rules did not apply).
   */
  | { ruleId: string; status: 'not_eligible'; failed: string }
  | { ruleId: string; status: 'beaten_by'; by: string }
  /** Eligible, but the customer is in the rule's control group: nothing given. */
  | { ruleId: string; status: 'control_group' };

export interface UnitResult {
  /** Price before discounts. */
  price: number;
  /** Discount of each applied rule, in application order. */
  discounts: { ruleId: string; amount: number }[];
  finalPrice: number;
  /** The part of finalPrice paid with points (minor units) … */
  paidWithPoints: number;
  /** … and the points that paid it (spendPoints spread over units by largest remainder). */
  pointsSpent: number;
  /** This unit's share of each rule's points (largest remainder over the rule's units by final price). */
  points: { ruleId: string; points: number }[];
}

export interface LineResult {
  /** Position of the line in the input check; results come in input order. */
  index: number;
  sku: string;
  amount: number;
  discount: number;
  finalAmount: number;
  paidWithPoints: number;
  units: UnitResult[];
}

export interface EvaluationResult {
  lines: LineResult[];
  amount: number;
  discount: number;
  finalAmount: number;
  /** finalAmount less the part paid with points. */
  payable: number;
  /** Points of each applied earning rule (earn, fixedPoints, multiplier), in application order. */
  points: { ruleId: string; eligibleAmount: number; points: number; lifetime?: LotPolicy }[];
  totalPoints: number;
  redemption: {
    /** The applied redeemCap rule with the lowest cap; null: no cap rule applied, the whole eligible amount. */
    capRuleId: string | null;
    /** Final amount of the lines that may be paid with points. */
    eligibleAmount: number;
    maxAmount: number;
    /** min(balance, floor(maxAmount × points / cash)). */
    maxPoints: number;
    spentPoints: number;
    spentAmount: number;
  };
  /** One per rule (or per candidate when explainAll is false), in application order. */
  explanations: Explanation[];
}

type Units = number[][];
type Effect = Map<number, number[]>;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Discount per unit of each target line, computed on the current unit prices. */
function discountEffect(
  benefit: Benefit,
  target: readonly number[],
  lines: readonly CheckLine[],
  cur: Units,
): Effect {
  const out: Effect = new Map();
  switch (benefit.kind) {
    case 'percent':
      for (const l of target) out.set(l, allocate(applyBps(sum(cur[l]!), benefit.bps, 'halfUp'), cur[l]!));
      break;
    case 'amountPerLine':
      for (const l of target) out.set(l, allocate(Math.min(benefit.amount, sum(cur[l]!)), cur[l]!));
      break;
    case 'amountPerCheck': {
      const amounts = target.map((l) => sum(cur[l]!));
      const shares = allocate(Math.min(benefit.amount, sum(amounts)), amounts);
      target.forEach((l, k) => out.set(l, allocate(shares[k]!, cur[l]!)));
      break;
    }
    case 'amountPerUnit':
      for (const l of target)
        out.set(
          l,
          cur[l]!.map((c) => Math.min(benefit.amount, c)),
        );
      break;
    case 'fixedPrice':
      for (const l of target) {
        const line = lines[l]!;
        const promo = line.weighted ? weightedAmount(line.quantity, benefit.unitPrice) : benefit.unitPrice;
        out.set(
          l,
          cur[l]!.map((c) => Math.max(0, c - promo)),
        );
      }
      break;
    case 'mForN': {
      const units: { l: number; u: number; c: number; sku: string }[] = [];
      for (const l of target) {
        if (lines[l]!.weighted) continue;
        out.set(
          l,
          cur[l]!.map(() => 0),
        );
        cur[l]!.forEach((c, u) => units.push({ l, u, c, sku: lines[l]!.sku }));
      }
      // Dearest first; equal prices by sku, then line and unit position, so the choice is fixed.
      units.sort(
        (a, b) => b.c - a.c || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0) || a.l - b.l || a.u - b.u,
      );
      const full = Math.floor(units.length / benefit.buy) * benefit.buy;
      for (let k = 0; k < full; k++) {
        if (k % benefit.buy >= benefit.pay) {
          const x = units[k]!;
          out.get(x.l)![x.u] = x.c;
        }
      }
      break;
    }
    default:
      break;
  }
  return out;
}

const effectTotal = (e: Effect) => {
  let t = 0;
  for (const ds of e.values()) t += sum(ds);
  return t;
};

interface Candidate {
  pos: number;
  rule: Rule;
  target: number[];
  value: number;
}

/** Keeps the winners of each conflict group; the losers point at the winner. */
function resolve(cands: readonly Candidate[], compiled: CompiledRules, explain: Map<number, Explanation>) {
  const winners: Candidate[] = [];
  const groups = new Map<string, Candidate[]>();
  for (const c of cands) {
    const g = c.rule.conflict?.group;
    if (g === undefined || compiled.groupModes.get(g) === 'stack') winners.push(c);
    else {
      const members = groups.get(g);
      if (members) members.push(c);
      else groups.set(g, [c]);
    }
  }
  for (const [g, members] of groups) {
    // Members are in application order: priority descending, then id.
    let best = members[0]!;
    if (compiled.groupModes.get(g) === 'max') {
      for (const m of members) if (m.value > best.value) best = m;
    }
    winners.push(best);
    for (const m of members) {
      if (m !== best) explain.set(m.pos, { ruleId: m.rule.id, status: 'beaten_by', by: best.rule.id });
    }
  }
  return winners.sort((a, b) => a.pos - b.pos);
}

const lineKey = (l: CheckLine) =>
  JSON.stringify([
    l.sku,
    l.unitPrice,
    l.quantity,
    l.weighted,
    l.category,
    l.brand,
    l.supplier,
    l.noRedemption,
    l.name,
  ]);

/** Input positions sorted by line content, then position: the order every tie-break uses. */
export function canonicalOrder(lines: readonly CheckLine[]): number[] {
  const keys = lines.map(lineKey);
  return lines.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
}

/**
 * Evaluates a check: which rules apply, the discount of each rule per unit, the final prices, the
 * points each earning rule gives (on the discounted amount), the most that may be paid with points,
 * and an explanation for every rule. Pure: the instant `at` is the only clock; the check carries its
 * local date-time for schedules and customer dates.
 *
 * Order: discounts (winners applied one after another in application order, each on the prices left
 * by the previous ones, `max` groups compared on the prices before any discount), then redemption
 * caps and the points spent, then earn and fixedPoints on what is left to pay in money, then
 * multipliers.
 */
export function evaluateCheck(
  rules: readonly Rule[] | CompiledRules,
  check: Check,
  context: CustomerContext,
  at: Date,
  options: EvaluateOptions = {},
): EvaluationResult {
  const compiled: CompiledRules = 'order' in rules ? rules : compileRules(rules);
  // Work in a canonical line order so that the order of the input never changes a result; ties
  // (largest remainder, M-for-N) go to the lower position in this order.
  const perm = canonicalOrder(check.lines);
  const lines = perm.map((i) => check.lines[i]!);
  check = { ...check, lines };
  const orig: Units = lines.map(unitPrices);
  const cur: Units = orig.map((u) => [...u]);
  const env: Env = { check, context, local: localOf(check), checkAmount: sum(lines.map(lineAmount)) };
  const explain = new Map<number, Explanation>();
  const unitDiscounts: { ruleId: string; amount: number }[][][] = orig.map((u) => u.map(() => []));
  const unitPoints: { ruleId: string; points: number }[][][] = orig.map((u) => u.map(() => []));
  const byPhase = {
    discount: [] as Candidate[],
    earn: [] as Candidate[],
    multiplier: [] as Candidate[],
    redeem: [] as Candidate[],
  };

  const candidatePositions = candidates(compiled, lines);
  for (const pos of candidatePositions) {
    const rule = compiled.rules[pos]!;
    let failed = failingRule(rule, env, at);
    const target: number[] = [];
    if (failed === null) {
      lines.forEach((line, l) => {
        if (matchesFilter(rule.target, line)) target.push(l);
      });
      if (target.length === 0) failed = 'target.no_lines';
    }
    if (failed !== null) explain.set(pos, { ruleId: rule.id, status: 'not_eligible', failed });
    else if (inControlGroup(rule, context.customerId))
      explain.set(pos, { ruleId: rule.id, status: 'control_group' });
    else byPhase[phaseOf(rule.benefit)].push({ pos, rule, target, value: 0 });
  }

  // Discounts. Only members of `max` groups need their effect up front (to compare); the rest are
  // decided by priority or stack, and only winners are computed, below.
  const inMaxGroup = (c: Candidate) =>
    c.rule.conflict !== undefined && compiled.groupModes.get(c.rule.conflict.group) === 'max';
  for (const c of byPhase.discount) {
    if (inMaxGroup(c)) c.value = effectTotal(discountEffect(c.rule.benefit, c.target, lines, orig));
  }
  for (const c of resolve(byPhase.discount, compiled, explain)) {
    const effect = discountEffect(c.rule.benefit, c.target, lines, cur);
    let total = 0;
    for (const [l, ds] of effect) {
      ds.forEach((d, u) => {
        const amount = Math.min(d, cur[l]![u]!);
        if (amount <= 0) return;
        cur[l]![u]! -= amount;
        unitDiscounts[l]![u]!.push({ ruleId: c.rule.id, amount });
        total += amount;
      });
    }
    explain.set(c.pos, { ruleId: c.rule.id, status: 'applied', discount: total, points: 0 });
  }

  const amountIn = (units: Units, target: readonly number[]) => sum(target.map((l) => sum(units[l]!)));
  // Redemption cap.
  const redeemable = (target: readonly number[]) => target.filter((l) => !lines[l]!.noRedemption);
  for (const c of byPhase.redeem) {
    const b = c.rule.benefit;
    c.value = b.kind === 'redeemCap' ? applyBps(amountIn(cur, redeemable(c.target)), b.bps) : 0;
  }
  let capRule: Candidate | null = null;
  for (const c of resolve(byPhase.redeem, compiled, explain)) {
    if (capRule === null || c.value < capRule.value) capRule = c;
    explain.set(c.pos, { ruleId: c.rule.id, status: 'applied', discount: 0, points: 0 });
  }
  const eligibleAmount = capRule
    ? amountIn(cur, redeemable(capRule.target))
    : amountIn(cur, redeemable(lines.map((_, l) => l)));
  const maxAmount = capRule ? capRule.value : eligibleAmount;
  const rate = options.conversionRate ?? { points: 1, cash: 100 };
  const maxPoints = Math.min(
    Math.max(context.pointsBalance, 0),
    Number((BigInt(maxAmount) * BigInt(rate.points)) / BigInt(rate.cash)),
  );

  // Points the customer pays with become a discount spread over the redeemable lines by largest remainder.
  const spendPoints = options.spendPoints ?? 0;
  if (!Number.isSafeInteger(spendPoints) || spendPoints < 0) {
    throw new DomainError('invalid_spend', 'spendPoints must be an integer ≥ 0', 422, 'spendPoints');
  }
  if (spendPoints > maxPoints) {
    throw new DomainError(
      'redemption_over_cap',
      `at most ${maxPoints} points may be spent on this check`,
      422,
      'spendPoints',
    );
  }
  const spentAmount = Number((BigInt(spendPoints) * BigInt(rate.cash)) / BigInt(rate.points));
  const paid: Units = cur.map((u) => u.map(() => 0));
  const spentPerUnit: Units = cur.map((u) => u.map(() => 0));
  {
    const cells: [number, number][] = [];
    const weights: number[] = [];
    for (const l of capRule ? redeemable(capRule.target) : redeemable(lines.map((_, i) => i))) {
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
      // The points themselves, spread the same way, so a return can give back exactly its share.
      allocate(
        spendPoints,
        cells.map(([l, u]) => paid[l]![u]!),
      ).forEach((x, k) => {
        const [l, u] = cells[k]!;
        spentPerUnit[l]![u] = x;
      });
    }
  }
  /** What earning counts: the discounted price, less the part paid with points unless configured. */
  const net: Units = options.earnOnRedeemed ? cur : cur.map((u, l) => u.map((c, k) => c - paid[l]![k]!));

  const pointsOut: EvaluationResult['points'] = [];
  const spread = (ruleId: string, points: number, target: readonly number[]) => {
    const cells: [number, number][] = [];
    const weights: number[] = [];
    for (const l of target) {
      net[l]!.forEach((c, u) => {
        cells.push([l, u]);
        weights.push(c);
      });
    }
    allocate(points, weights).forEach((p, k) => {
      const [l, u] = cells[k]!;
      if (p > 0) unitPoints[l]![u]!.push({ ruleId, points: p });
    });
  };
  const amountOf = (target: readonly number[]) => amountIn(net, target);

  // Earning.
  for (const c of byPhase.earn) {
    const b = c.rule.benefit;
    c.value =
      b.kind === 'earn' ? applyBps(amountOf(c.target), b.bps) : b.kind === 'fixedPoints' ? b.points : 0;
  }
  const earned = new Map<string, Candidate>();
  for (const c of resolve(byPhase.earn, compiled, explain)) {
    earned.set(c.rule.id, c);
    spread(c.rule.id, c.value, c.target);
    pointsOut.push({
      ruleId: c.rule.id,
      eligibleAmount: amountOf(c.target),
      points: c.value,
      ...(c.rule.pointsLifetime ? { lifetime: c.rule.pointsLifetime } : {}),
    });
    explain.set(c.pos, { ruleId: c.rule.id, status: 'applied', discount: 0, points: c.value });
  }

  // Multipliers.
  const multiplied = new Map<number, number[]>();
  const eligibleMultipliers: Candidate[] = [];
  for (const c of byPhase.multiplier) {
    const b = c.rule.benefit;
    if (b.kind !== 'multiplier') continue;
    const bases = b.ruleIds.map((id) => earned.get(id)).filter((x) => x?.rule.benefit.kind === 'earn');
    if (bases.length === 0) {
      explain.set(c.pos, { ruleId: c.rule.id, status: 'not_eligible', failed: 'benefit.base_not_applied' });
      continue;
    }
    const mine = new Set(c.target);
    const overlap = new Set<number>();
    let extra = 0;
    for (const base of bases) {
      const bb = base!.rule.benefit;
      if (bb.kind !== 'earn') continue;
      const common = base!.target.filter((l) => mine.has(l));
      common.forEach((l) => overlap.add(l));
      const product = BigInt(amountOf(common)) * BigInt(bb.bps) * BigInt(b.factorBps - 10_000);
      extra += Number(product / 100_000_000n);
    }
    c.value = extra;
    multiplied.set(
      c.pos,
      [...overlap].sort((x, y) => x - y),
    );
    eligibleMultipliers.push(c);
  }
  for (const c of resolve(eligibleMultipliers, compiled, explain)) {
    const target = multiplied.get(c.pos)!;
    spread(c.rule.id, c.value, target);
    pointsOut.push({
      ruleId: c.rule.id,
      eligibleAmount: amountOf(target),
      points: c.value,
      ...(c.rule.pointsLifetime ? { lifetime: c.rule.pointsLifetime } : {}),
    });
    explain.set(c.pos, { ruleId: c.rule.id, status: 'applied', discount: 0, points: c.value });
  }

  // Sort points by application order for a stable output.
  pointsOut.sort((a, b) => compiled.order.get(a.ruleId)! - compiled.order.get(b.ruleId)!);

  const explanations: Explanation[] = [];
  if (options.explainAll ?? true) {
    compiled.rules.forEach((rule, pos) => {
      explanations.push(
        explain.get(pos) ?? { ruleId: rule.id, status: 'not_eligible', failed: 'target.no_lines' },
      );
    });
  } else {
    for (const pos of candidatePositions) explanations.push(explain.get(pos)!);
  }

  const lineResults: LineResult[] = lines.map((line, l) => {
    const units = orig[l]!.map((price, u) => {
      const order = (id: string) => compiled.order.get(id)!;
      const discounts = unitDiscounts[l]![u]!;
      const points = unitPoints[l]![u]!.sort((a, b) => order(a.ruleId) - order(b.ruleId));
      return {
        price,
        discounts,
        finalPrice: cur[l]![u]!,
        paidWithPoints: paid[l]![u]!,
        pointsSpent: spentPerUnit[l]![u]!,
        points,
      };
    });
    const amount = sum(orig[l]!);
    const finalAmount = sum(cur[l]!);
    return {
      index: perm[l]!,
      sku: line.sku,
      amount,
      discount: amount - finalAmount,
      finalAmount,
      paidWithPoints: sum(paid[l]!),
      units,
    };
  });
  lineResults.sort((a, b) => a.index - b.index);
  const amount = sum(lineResults.map((r) => r.amount));
  const finalAmount = sum(lineResults.map((r) => r.finalAmount));
  return {
    lines: lineResults,
    amount,
    discount: amount - finalAmount,
    finalAmount,
    points: pointsOut,
    totalPoints: sum(pointsOut.map((p) => p.points)),
    payable: finalAmount - spentAmount,
    redemption: {
      capRuleId: capRule?.rule.id ?? null,
      eligibleAmount,
      maxAmount,
      maxPoints,
      spentPoints: spendPoints,
      spentAmount,
    },
    explanations,
  };
}
