import { resolveLotPolicy, type LotPolicy } from '../ledger/lot-policy';
import { allocate } from './allocate';
import { type Check, type CheckLine, type CustomerContext, unitPrices } from './check';
import { candidates, compileRules, type CompiledRules } from './compile';
import { failingRule, inControlGroup, localOf, type Env } from './conditions';
import {
  capEffect,
  dearestLines,
  discountEffect,
  discountValue,
  effectTotal,
  noDiscountReason,
  sum,
  type Units,
} from './discount-effects';
import { exhaustedLimit, hasCustomerLimits, remainingBudget } from './limits';
import { matchesFilter } from './line-filter';
import { redeem } from './redemption';
import { resolve, type Candidate } from './conflicts';
import type { EvaluationResult, Explanation, LineResult, PointsResult } from './result';
import { phaseOf, type Phase, type Rule } from './rules';

export type { EvaluationResult, Explanation, LineResult, UnitResult } from './result';

export interface EvaluateOptions {
  /**
   * Points ↔ money: `points` points are worth `cash` minor units (the program's conversionRate);
   * default one point per minor unit. Earning converts with it too: 5 % earns points worth 5 %.
   */
  conversionRate?: { points: number; cash: number };
  /**
   * Points the customer pays with: converted to money (floored), spread over the redeemable lines by
   * largest remainder; above the cap it throws redemption_over_cap, above the balance
   * insufficient_points.
   */
  spendPoints?: number;
  /** `discount` (default): points become a discount on the fiscal receipt; `tender`: a payment line. */
  redemptionMode?: 'discount' | 'tender';
  /** Earn also on the part paid with points; default false. */
  earnOnRedeemed?: boolean;
  /** Points are earned at all; false for an anonymous check (earning rules say `customer.anonymous`). */
  earning?: boolean;
  /** Points lifetimes below the rule's own: the card type's, then the program's. */
  pointsLifetime?: { cardType?: LotPolicy | undefined; program?: LotPolicy | undefined };
  /** Also explain rules the index skipped (as not_eligible `target.no_lines`); default true. */
  explainAll?: boolean;
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
    l.excluded,
    l.name,
  ]);

/** Input positions sorted by line content, then position: the order every tie-break uses. */
export function canonicalOrder(lines: readonly CheckLine[]): number[] {
  const keys = lines.map(lineKey);
  return lines.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
}

/** The rule's message in the language, else its first. */
function messageOf(rule: Rule, language: string | undefined): string | null {
  const texts = rule.receiptMessage;
  if (!texts) return null;
  return (language !== undefined ? texts[language] : undefined) ?? Object.values(texts)[0] ?? null;
}

/**
 * Evaluates a check: which rules apply, the discount of each rule per unit, the final prices, the
 * points each earning rule gives (on the discounted amount), the most that may be paid with points,
 * coupons used and to issue, receipt messages, and an explanation for every rule. Pure: the instant
 * `at` is the only clock; the check carries its local date-time for schedules and customer dates.
 *
 * Order: discounts (winners applied one after another in application order, each on the prices left
 * by the previous ones, `max` groups compared on the prices before any discount), then redemption
 * caps and the points spent, then earning on what is left to pay in money, then multipliers, then
 * rewards (coupons to issue, messages).
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
  const promotable = (l: number) => !lines[l]!.excluded;
  const anyExcluded = lines.some((line) => line.excluded);
  const env: Env = {
    check,
    context,
    local: localOf(check),
    checkAmount: sum(orig.filter((_, l) => promotable(l)).map(sum)),
  };
  const explain = new Map<number, Explanation>();
  const unitDiscounts: { ruleId: string; amount: number }[][][] = orig.map((u) => u.map(() => []));
  const unitPoints: { ruleId: string; points: number }[][][] = orig.map((u) => u.map(() => []));
  const byPhase: Record<Phase, Candidate[]> = {
    discount: [],
    earn: [],
    multiplier: [],
    redeem: [],
    reward: [],
  };

  const allLines = lines.map((_, l) => l).filter(promotable);
  const { positions, hits } = candidates(compiled, check, at);
  for (const pos of positions) {
    const rule = compiled.rules[pos]!;
    let failed = failingRule(rule, env, at);
    let target: number[] = [];
    if (failed === null) {
      const hit = hits.get(pos);
      if (hit === undefined)
        target = rule.target ? allLines.filter((l) => matchesFilter(rule.target, lines[l]!)) : allLines;
      else if (compiled.reach[pos]!.exact && !anyExcluded) target = hit;
      else target = hit.filter((l) => promotable(l) && matchesFilter(rule.target, lines[l]!));
      if (target.length === 0) failed = 'target.no_lines';
    }
    if (
      failed === null &&
      rule.coupon &&
      !context.coupons.some((c) => rule.coupon!.issueIds.includes(c.issueId))
    )
      failed = 'coupon.not_presented';
    if (failed === null && context.customerId === undefined && hasCustomerLimits(rule))
      failed = 'customer.anonymous';
    const limit = failed === null ? exhaustedLimit(rule, context) : null;
    if (failed !== null) explain.set(pos, { ruleId: rule.id, status: 'not_eligible', failed });
    else if (limit !== null) explain.set(pos, { ruleId: rule.id, status: 'budget_exhausted', limit });
    else if (options.earning === false && ['earn', 'multiplier'].includes(phaseOf(rule.benefit))) {
      explain.set(pos, { ruleId: rule.id, status: 'not_eligible', failed: 'customer.anonymous' });
    } else if (inControlGroup(rule, context.customerId))
      explain.set(pos, { ruleId: rule.id, status: 'control_group' });
    else byPhase[phaseOf(rule.benefit)].push({ pos, rule, target, value: 0 });
  }

  // Coupons: each applied rule that needs one takes the first presented (by code) of its issues.
  const couponsLeft = [...context.coupons].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const consumed: EvaluationResult['coupons']['consumed'] = [];
  /** Takes the coupon a winner needs (first presented of its issues); false when none is left. */
  const takeCoupon = (c: Candidate): boolean => {
    const needed = c.rule.coupon;
    if (!needed) return true;
    const k = couponsLeft.findIndex((x) => needed.issueIds.includes(x.issueId));
    if (k < 0) return false;
    const [coupon] = couponsLeft.splice(k, 1);
    consumed.push({ code: coupon!.code, issueId: coupon!.issueId, ruleId: c.rule.id });
    return true;
  };
  const notEligible = (c: Candidate, failed: string) =>
    explain.set(c.pos, { ruleId: c.rule.id, status: 'not_eligible', failed });
  /** Whether a rule competes in a `priority` or `max` group (where giving nothing must not win). */
  const contested = (c: Candidate) =>
    c.rule.conflict !== undefined && compiled.groupModes.get(c.rule.conflict.group) !== 'stack';
  /**
   * Decides a phase: resolves the groups of the candidates not set aside, then `apply` gives each
   * winner in application order its effect, or answers why it gives nothing. A `priority` or `max`
   * winner that gives nothing is set aside and the phase is decided again without it, so the next
   * member may win: it goes on where it stopped while the winners already given keep their place,
   * else it starts again (coupons as the phase found them, `restart` undoing the rest); each round
   * sets one more aside, so it ends. `apply` changes nothing when it answers why. Rules set aside (`setAside`, with why) are explained `not_eligible`.
   */
  const decide = (
    cands: readonly Candidate[],
    setAside: Map<number, string>,
    apply: (c: Candidate) => string | null,
    restart: () => void,
    lineValue?: (c: Candidate, l: number) => number,
  ) => {
    const left = [...couponsLeft];
    const taken = consumed.length;
    // A member's value on a line does not change within the phase: computed once for every round.
    const values = new Map<string, number>();
    const valueOn =
      lineValue &&
      ((c: Candidate, l: number) => {
        const key = `${c.pos}:${l}`;
        let value = values.get(key);
        if (value === undefined) values.set(key, (value = lineValue(c, l)));
        return value;
      });
    /** The winners given their effect so far in this run, in order: what a fresh run would give first. */
    let given: Candidate[] = [];
    const same = (a: Candidate, b: Candidate) =>
      a.pos === b.pos && a.target.length === b.target.length && a.target.every((l, i) => b.target[i] === l);
    let winners = resolve(
      cands.filter((c) => !setAside.has(c.pos)),
      compiled,
      explain,
      valueOn,
    );
    for (let settled = false; !settled;) {
      settled = true;
      // Setting one winner aside changes only its own group: while the winners given so far still
      // lead the new order unchanged, the run goes on from there; otherwise it starts again.
      let next = 0;
      while (next < given.length && next < winners.length && same(winners[next]!, given[next]!)) next++;
      if (next < given.length) {
        couponsLeft.splice(0, couponsLeft.length, ...left);
        consumed.length = taken;
        restart();
        given = [];
        next = 0;
      }
      for (const c of winners.slice(next)) {
        const why = apply(c);
        if (why === null) {
          given.push(c);
          continue;
        }
        setAside.set(c.pos, why);
        if (!contested(c)) continue;
        // Its group is decided again without it; the other groups' winners stand.
        const group = c.rule.conflict!.group;
        const inGroup = (m: Candidate) => m.rule.conflict?.group === group;
        const regrouped = resolve(
          cands.filter((m) => inGroup(m) && !setAside.has(m.pos)),
          compiled,
          explain,
          valueOn,
        );
        winners = [...winners.filter((w) => !inGroup(w) && !setAside.has(w.pos)), ...regrouped].sort(
          (a, b) => a.pos - b.pos,
        );
        settled = false;
        break;
      }
    }
    for (const c of cands) {
      const why = setAside.get(c.pos);
      if (why !== undefined) notEligible(c, why);
    }
  };
  /** The winners of a phase whose rules give as soon as they apply: those that find their coupon. */
  const couponed = (cands: readonly Candidate[]) => {
    const won: Candidate[] = [];
    const admit = (c: Candidate) => {
      if (!takeCoupon(c)) return 'coupon.not_presented';
      won.push(c);
      return null;
    };
    decide(cands, new Map(), admit, () => (won.length = 0));
    return won;
  };
  const applied = (c: Candidate, discount: number, points: number, limitedBy: string | null) =>
    explain.set(c.pos, {
      ruleId: c.rule.id,
      status: 'applied',
      discount,
      points,
      ...(limitedBy !== null ? { limitedBy } : {}),
    });

  // Discounts. Only members of `max` groups need their effect up front (to compare); the rest are
  // decided by priority or stack, and only winners are computed, below.
  const inMaxGroup = (c: Candidate) =>
    c.rule.conflict !== undefined && compiled.groupModes.get(c.rule.conflict.group) === 'max';
  /** Discounts that give nothing (or find no coupon left), with why: they neither apply nor win. */
  const gaveNothing = new Map<number, string>();
  let dearest: number[] | undefined;
  for (const c of byPhase.discount) {
    if (inMaxGroup(c) && !compiled.lineGroups.has(c.rule.conflict!.group)) {
      dearest ??= dearestLines(lines, orig);
      c.value = discountValue(c.rule.benefit, c.target, lines, orig, dearest);
      // Nothing on the prices before any discount is nothing on the prices left either.
      if (c.value === 0) {
        const none = discountEffect(c.rule.benefit, c.target, lines, orig);
        gaveNothing.set(c.pos, noDiscountReason(c.rule.benefit, c.target, lines, orig, none));
      }
    }
  }
  const lineValue = (c: Candidate, l: number) => discountValue(c.rule.benefit, [l], lines, orig);
  /** Gives a winner its discount on the prices left (cut to its budget), or says why it gives nothing. */
  const discountOf = (c: Candidate): string | null => {
    let effect = discountEffect(c.rule.benefit, c.target, lines, cur);
    const budget = remainingBudget(c.rule, context, 'discount');
    const cut = effectTotal(effect) > budget.left;
    if (cut) effect = capEffect(effect, budget.left);
    const given: [number, number, number][] = [];
    for (const [l, ds] of effect) {
      ds.forEach((d, u) => {
        const amount = Math.min(d, cur[l]![u]!);
        if (amount > 0) given.push([l, u, amount]);
      });
    }
    if (given.length === 0) return noDiscountReason(c.rule.benefit, c.target, lines, cur, effect);
    if (!takeCoupon(c)) return 'coupon.not_presented';
    let total = 0;
    for (const [l, u, amount] of given) {
      cur[l]![u]! -= amount;
      unitDiscounts[l]![u]!.push({ ruleId: c.rule.id, amount });
      total += amount;
    }
    applied(c, total, 0, cut ? budget.limit : null);
    return null;
  };
  /** Back to the prices before any discount, for a run without a rule set aside. */
  const undoDiscounts = () =>
    orig.forEach((u, l) =>
      u.forEach((price, k) => {
        cur[l]![k] = price;
        unitDiscounts[l]![k] = [];
      }),
    );
  decide(byPhase.discount, gaveNothing, discountOf, undoDiscounts, lineValue);

  // Redemption cap and the points spent.
  const caps = couponed(byPhase.redeem);
  for (const c of caps) applied(c, 0, 0, null);
  const rate = options.conversionRate ?? { points: 1, cash: 1 };
  /** floor(amount × bps × extraBps / 10⁸ … converted to points), exact in integers. */
  const toPoints = (amount: number, bps: number, extraBps = 10_000) =>
    Number(
      (BigInt(amount) * BigInt(bps) * BigInt(extraBps) * BigInt(rate.points)) /
        (100_000_000n * BigInt(rate.cash)),
    );
  const spendPoints = options.spendPoints ?? 0;
  const redemption = redeem(
    lines,
    cur,
    caps.map((c) => ({
      ruleId: c.rule.id,
      target: c.target,
      bps: c.rule.benefit.kind === 'redeemCap' ? c.rule.benefit.bps : 10_000,
    })),
    context.pointsBalance,
    rate,
    spendPoints,
  );
  const { paid, spentPerUnit } = redemption;
  /** What earning counts: the discounted price, less the part paid with points unless configured. */
  const net: Units = options.earnOnRedeemed ? cur : cur.map((u, l) => u.map((c, k) => c - paid[l]![k]!));
  const amountOf = (target: readonly number[]) => {
    let total = 0;
    for (const l of target) total += sum(net[l]!);
    return total;
  };

  const pointsOut: PointsResult[] = [];
  const lifetimeOf = (rule: Rule): LotPolicy | undefined => {
    const levels = options.pointsLifetime;
    if (!rule.pointsLifetime && !levels?.cardType && !levels?.program) return undefined;
    return resolveLotPolicy({
      rule: rule.pointsLifetime,
      cardType: levels?.cardType,
      program: levels?.program ?? {},
    });
  };
  /** Gives a winner its points (cut to its budget), spread over the target's units. */
  const give = (c: Candidate, target: readonly number[]) => {
    const budget = remainingBudget(c.rule, context, 'points');
    const points = Math.min(c.value, budget.left);
    const cells: [number, number][] = [];
    const weights: number[] = [];
    for (const l of target) {
      net[l]!.forEach((x, u) => {
        cells.push([l, u]);
        weights.push(c.rule.benefit.kind === 'pointsPerUnit' ? 1 : x);
      });
    }
    allocate(points, weights).forEach((p, k) => {
      const [l, u] = cells[k]!;
      if (p > 0) unitPoints[l]![u]!.push({ ruleId: c.rule.id, points: p });
    });
    const lifetime = lifetimeOf(c.rule);
    pointsOut.push({
      ruleId: c.rule.id,
      eligibleAmount: amountOf(target),
      points,
      ...(lifetime ? { lifetime } : {}),
    });
    applied(c, 0, points, points < c.value ? budget.limit : null);
  };

  // Earning. Line-scoped groups compare each member's points on one line; a winner earns on the lines it won.
  const pointsOf = (c: Candidate, target: readonly number[]) => {
    const b = c.rule.benefit;
    if (b.kind === 'earn') return toPoints(amountOf(target), b.bps);
    if (b.kind === 'fixedPoints') return b.points;
    if (b.kind === 'pointsPerUnit') return b.points * sum(target.map((l) => orig[l]!.length));
    return 0;
  };
  // Members of line groups are valued per line in resolve; the rest now, for max groups. A rule that
  // earns nothing does not apply, so it wins no group.
  const earnsNothing = new Map<number, string>();
  for (const c of byPhase.earn) {
    const inLineGroup = c.rule.conflict !== undefined && compiled.lineGroups.has(c.rule.conflict.group);
    if (!inLineGroup) c.value = pointsOf(c, c.target);
    if (!inLineGroup && c.value === 0) earnsNothing.set(c.pos, 'benefit.no_points');
  }
  // Winners earn once the groups are decided: no winner's points depend on another's.
  const earners: Candidate[] = [];
  const earnerOf = (c: Candidate): string | null => {
    c.value = pointsOf(c, c.target);
    if (c.value === 0) return 'benefit.no_points';
    if (!takeCoupon(c)) return 'coupon.not_presented';
    earners.push(c);
    return null;
  };
  decide(
    byPhase.earn,
    earnsNothing,
    earnerOf,
    () => (earners.length = 0),
    (m, l) => pointsOf(m, [l]),
  );
  const earned = new Map<string, Candidate>();
  for (const c of earners) {
    earned.set(c.rule.id, c);
    give(c, c.target);
  }

  // Multipliers: the extra, factor × base less the base, on the lines both target.
  const multiplied = new Map<number, number[]>();
  const eligibleMultipliers: Candidate[] = [];
  for (const c of byPhase.multiplier) {
    const b = c.rule.benefit;
    if (b.kind !== 'multiplier') continue;
    const bases = b.ruleIds.map((id) => earned.get(id)).filter((x) => x?.rule.benefit.kind === 'earn');
    if (bases.length === 0) {
      notEligible(c, 'benefit.base_not_applied');
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
      // Rounded once: factor × base less the base, not (factor − 1) × base rounded on its own.
      const amount = amountOf(common);
      extra += toPoints(amount, bb.bps, b.factorBps) - toPoints(amount, bb.bps);
    }
    if (extra === 0) {
      notEligible(c, 'benefit.no_points');
      continue;
    }
    c.value = extra;
    multiplied.set(
      c.pos,
      [...overlap].sort((x, y) => x - y),
    );
    eligibleMultipliers.push(c);
  }
  for (const c of couponed(eligibleMultipliers)) give(c, multiplied.get(c.pos)!);
  pointsOut.sort((a, b) => compiled.order.get(a.ruleId)! - compiled.order.get(b.ruleId)!);

  // Rewards: coupons to issue and message-only rules.
  const issued: EvaluationResult['coupons']['issued'] = [];
  for (const c of couponed(byPhase.reward)) {
    const b = c.rule.benefit;
    if (b.kind === 'issueCoupon')
      issued.push({ ruleId: c.rule.id, issueId: b.issueId, quantity: b.quantity });
    applied(c, 0, 0, null);
  }

  const explanations: Explanation[] = [];
  if (options.explainAll ?? true) {
    // Rules out of the index's reach fail their validity, schedule or store, else match no line.
    compiled.rules.forEach((rule, pos) => {
      explanations.push(
        explain.get(pos) ?? {
          ruleId: rule.id,
          status: 'not_eligible',
          failed: failingRule(rule, env, at) ?? 'target.no_lines',
        },
      );
    });
  } else {
    for (const pos of positions) explanations.push(explain.get(pos)!);
  }
  const messages: EvaluationResult['messages'] = [];
  for (const pos of positions) {
    const rule = compiled.rules[pos]!;
    const text =
      rule.receiptMessage && explain.get(pos)!.status === 'applied'
        ? messageOf(rule, context.language)
        : null;
    if (text !== null) messages.push({ ruleId: rule.id, text });
  }

  const tender = options.redemptionMode === 'tender';
  const lineResults: LineResult[] = lines.map((line, l) => {
    const order = (id: string) => compiled.order.get(id)!;
    const units = orig[l]!.map((price, u) => ({
      price,
      discounts: unitDiscounts[l]![u]!,
      finalPrice: cur[l]![u]!,
      paidWithPoints: paid[l]![u]!,
      pointsSpent: spentPerUnit[l]![u]!,
      fiscalPrice: tender ? cur[l]![u]! : cur[l]![u]! - paid[l]![u]!,
      points: unitPoints[l]![u]!.sort((a, b) => order(a.ruleId) - order(b.ruleId)),
    }));
    const amount = sum(orig[l]!);
    const finalAmount = sum(cur[l]!);
    const paidWithPoints = sum(paid[l]!);
    return {
      index: perm[l]!,
      sku: line.sku,
      amount,
      discount: amount - finalAmount,
      finalAmount,
      paidWithPoints,
      fiscalAmount: tender ? finalAmount : finalAmount - paidWithPoints,
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
    payable: finalAmount - redemption.spentAmount,
    redemption: {
      mode: tender ? 'tender' : 'discount',
      capRuleId: redemption.capRuleId,
      eligibleAmount: redemption.eligibleAmount,
      maxAmount: redemption.maxAmount,
      maxPoints: redemption.maxPoints,
      spentPoints: redemption.spentPoints,
      spentAmount: redemption.spentAmount,
    },
    coupons: { consumed, issued },
    messages,
    explanations,
  };
}
