import { allocate, applyBps } from './allocate';
import { weightedAmount, type CheckLine } from './check';
import { matchesFilter } from './line-filter';
import type { Benefit } from './rules';

/** Unit prices per line of the check, in the canonical line order. */
export type Units = number[][];
/** Discount per unit of each affected line, by line position. */
export type Effect = Map<number, number[]>;

export const sum = (xs: readonly number[]) => {
  let t = 0;
  for (const x of xs) t += x;
  return t;
};

interface UnitRef {
  l: number;
  u: number;
  c: number;
  sku: string;
}

/** The non-weighted units of the lines, dearest first; equal prices by sku, then line and unit position. */
function unitsDearestFirst(target: readonly number[], lines: readonly CheckLine[], cur: Units): UnitRef[] {
  const units: UnitRef[] = [];
  for (const l of target) {
    if (lines[l]!.weighted) continue;
    cur[l]!.forEach((c, u) => units.push({ l, u, c, sku: lines[l]!.sku }));
  }
  return units.sort(
    (a, b) => b.c - a.c || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0) || a.l - b.l || a.u - b.u,
  );
}

/** Sets a unit's discount, creating the line's entry. */
function put(out: Effect, lines: Units, l: number, u: number, amount: number) {
  let ds = out.get(l);
  if (!ds) {
    ds = lines[l]!.map(() => 0);
    out.set(l, ds);
  }
  ds[u] = ds[u]! + amount;
}

type Bundle = Extract<Benefit, { kind: 'bundle' }>;

/**
 * Quantity sets: complete sets are formed one after another, each item taking its quantity of the
 * dearest units left that match its filter. A set price is given per set; an item's `bps` off is
 * rounded once, on its units of all the sets, then spread over them.
 */
function bundleEffect(benefit: Bundle, target: readonly number[], lines: readonly CheckLine[], cur: Units) {
  const out: Effect = new Map();
  const pool = unitsDearestFirst(target, lines, cur);
  const used = new Set<UnitRef>();
  const matching = benefit.items.map((item) => pool.filter((x) => matchesFilter(item.filter, lines[x.l]!)));
  // Units once used stay used: each item's scan starts past the used units its list begins with, so
  // a line of thousands of pieces is walked once, not once per set.
  const from = benefit.items.map(() => 0);
  /** The units of the next complete set, per item; null when too few are left. */
  const nextSet = (): UnitRef[][] | null => {
    const taken: UnitRef[][] = [];
    const inSet = new Set<UnitRef>();
    for (const [k, item] of benefit.items.entries()) {
      const list = matching[k]!;
      while (from[k]! < list.length && used.has(list[from[k]!]!)) from[k]! += 1;
      const picked: UnitRef[] = [];
      for (let i = from[k]!; i < list.length && picked.length < item.quantity; i++) {
        const x = list[i]!;
        if (used.has(x) || inSet.has(x)) continue;
        picked.push(x);
        inSet.add(x);
      }
      if (picked.length < item.quantity) return null;
      taken.push(picked);
    }
    inSet.forEach((x) => used.add(x));
    return taken;
  };
  const itemUnits: UnitRef[][] = benefit.items.map(() => []);
  for (let sets = 0; sets < (benefit.maxSets ?? Infinity); sets++) {
    const taken = nextSet();
    if (taken === null) break;
    if (benefit.setPrice !== undefined) {
      const all = taken.flat();
      const discount = Math.max(0, sum(all.map((x) => x.c)) - benefit.setPrice);
      allocate(
        discount,
        all.map((x) => x.c),
      ).forEach((d, i) => put(out, cur, all[i]!.l, all[i]!.u, d));
    } else taken.forEach((units, k) => itemUnits[k]!.push(...units));
  }
  benefit.items.forEach((item, k) => {
    const units = itemUnits[k]!;
    const prices = units.map((x) => x.c);
    allocate(applyBps(sum(prices), item.bps ?? 0, 'halfUp'), prices).forEach((d, i) =>
      put(out, cur, units[i]!.l, units[i]!.u, d),
    );
  });
  return out;
}

/** Spreads a check-level amount over the target lines, then each line's share over its units (largest remainder). */
function spreadOverLines(out: Effect, total: number, target: readonly number[], cur: Units) {
  const amounts = target.map((l) => sum(cur[l]!));
  const shares = allocate(total, amounts);
  target.forEach((l, k) => out.set(l, allocate(shares[k]!, cur[l]!)));
}

/** Discount per unit of each target line, computed on the current unit prices. */
export function discountEffect(
  benefit: Benefit,
  target: readonly number[],
  lines: readonly CheckLine[],
  cur: Units,
): Effect {
  const out: Effect = new Map();
  switch (benefit.kind) {
    case 'percent': {
      // Rounded once, on the target lines' total, then spread.
      const amount = sum(target.map((l) => sum(cur[l]!)));
      spreadOverLines(out, applyBps(amount, benefit.bps, 'halfUp'), target, cur);
      break;
    }
    case 'amountPerLine':
      for (const l of target) out.set(l, allocate(Math.min(benefit.amount, sum(cur[l]!)), cur[l]!));
      break;
    case 'amountPerCheck':
      spreadOverLines(out, Math.min(benefit.amount, sum(target.map((l) => sum(cur[l]!)))), target, cur);
      break;
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
      const units = unitsDearestFirst(target, lines, cur);
      for (const x of units)
        if (!out.has(x.l))
          out.set(
            x.l,
            cur[x.l]!.map(() => 0),
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
    case 'bundle':
      return bundleEffect(benefit, target, lines, cur);
    default:
      break;
  }
  return out;
}

export const effectTotal = (e: Effect) => {
  let t = 0;
  for (const ds of e.values()) t += sum(ds);
  return t;
};

/** The effect scaled down to `limit` in total (largest remainder over its units), for a budget. */
export function capEffect(effect: Effect, limit: number): Effect {
  const cells: [number, number][] = [];
  const weights: number[] = [];
  for (const [l, ds] of effect) {
    ds.forEach((d, u) => {
      cells.push([l, u]);
      weights.push(d);
    });
  }
  const out: Effect = new Map([...effect].map(([l, ds]) => [l, ds.map(() => 0)]));
  allocate(Math.min(limit, sum(weights)), weights).forEach((d, k) => {
    const [l, u] = cells[k]!;
    out.get(l)![u] = d;
  });
  return out;
}

/**
 * The total a discount would give on the prices before any discount, without building its per-unit
 * effect: what a `max` group compares. Equal to effectTotal(discountEffect(…, orig)).
 */
export function discountValue(
  benefit: Benefit,
  target: readonly number[],
  lines: readonly CheckLine[],
  orig: Units,
  dearest?: readonly number[],
): number {
  let total = 0;
  switch (benefit.kind) {
    case 'percent':
      for (const l of target) total += sum(orig[l]!);
      return applyBps(total, benefit.bps, 'halfUp');
    case 'amountPerLine':
      for (const l of target) total += Math.min(benefit.amount, sum(orig[l]!));
      return total;
    case 'amountPerCheck':
      for (const l of target) total += sum(orig[l]!);
      return Math.min(benefit.amount, total);
    case 'amountPerUnit':
      for (const l of target) for (const c of orig[l]!) total += Math.min(benefit.amount, c);
      return total;
    case 'fixedPrice':
      for (const l of target) {
        const line = lines[l]!;
        const promo = line.weighted ? weightedAmount(line.quantity, benefit.unitPrice) : benefit.unitPrice;
        for (const c of orig[l]!) total += Math.max(0, c - promo);
      }
      return total;
    case 'mForN': {
      // Before any discount a line's units share one price: walk the lines dearest first.
      const inTarget = new Set(target);
      const pieces = (dearest ?? dearestLines(lines, orig))
        .filter((l) => inTarget.has(l) && !lines[l]!.weighted)
        .map((l) => orig[l]!);
      const full = Math.floor(sum(pieces.map((u) => u.length)) / benefit.buy) * benefit.buy;
      let k = 0;
      for (const units of pieces) {
        for (const c of units) {
          if (k >= full) return total;
          if (k % benefit.buy >= benefit.pay) total += c;
          k++;
        }
      }
      return total;
    }
    default:
      return effectTotal(discountEffect(benefit, target, lines, orig));
  }
}

/** Line positions by unit price before discounts, dearest first (ties by position). */
export function dearestLines(lines: readonly CheckLine[], orig: Units): number[] {
  return lines.map((_, l) => l).sort((a, b) => (orig[b]![0] ?? 0) - (orig[a]![0] ?? 0) || a - b);
}

/**
 * Why a discount gives nothing on the prices `cur` (its effect `effect` totals zero): the target is
 * free already, a quantity set or M-for-N finds too few units, or the promo price is not lower.
 */
export function noDiscountReason(
  benefit: Benefit,
  target: readonly number[],
  lines: readonly CheckLine[],
  cur: Units,
  effect: Effect,
): string {
  if (target.every((l) => sum(cur[l]!) === 0)) return 'benefit.nothing_to_discount';
  switch (benefit.kind) {
    case 'mForN': {
      const units = sum(target.map((l) => (lines[l]!.weighted ? 0 : cur[l]!.length)));
      return units < benefit.buy ? 'benefit.incomplete_set' : 'benefit.nothing_to_discount';
    }
    case 'bundle':
      return effect.size === 0 ? 'benefit.incomplete_set' : 'benefit.price_not_lower';
    case 'fixedPrice':
      return 'benefit.price_not_lower';
    default:
      return 'benefit.no_discount';
  }
}
