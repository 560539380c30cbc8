import { DomainError } from '../errors';
import type { Check } from './check';
import { localOf } from './conditions';
import type { CounterSpec } from './counters';
import { requiredCounters } from './history';
import { phaseOf, type ConflictMode, type Rule } from './rules';

/**
 * A rule set prepared once per snapshot: rules in their fixed application order (priority descending,
 * then id) and indexed by the most selective key of their target, so a check only touches candidates.
 */
export interface CompiledRules {
  /** All rules in application order. */
  readonly rules: readonly Rule[];
  /** Position of each rule id in `rules`. */
  readonly order: ReadonlyMap<string, number>;
  /** The mode of each conflict group. */
  readonly groupModes: ReadonlyMap<string, ConflictMode>;
  /** Conflict groups whose discounts compete per line. */
  readonly lineGroups: ReadonlySet<string>;
  readonly bySku: ReadonlyMap<string, readonly number[]>;
  readonly byCategory: ReadonlyMap<string, readonly number[]>;
  readonly byBrand: ReadonlyMap<string, readonly number[]>;
  readonly bySupplier: ReadonlyMap<string, readonly number[]>;
  /** Rules whose target has no sku, category, brand or supplier list: candidates for every check. */
  readonly all: readonly number[];
  /** Per rule: when it can apply (time buckets, stores, validity), a cheap superset of its conditions. */
  readonly reach: readonly Reach[];
  /** `all` narrowed to one store and hour, kept per snapshot (a bounded memo). */
  readonly allByBucket: Map<string, readonly number[]>;
  /** The purchase-history counters the rules read, by counter key (the caller supplies them). */
  readonly counters: ReadonlyMap<string, CounterSpec>;
  /** Ids of the rules whose usage counts (limits, periods from first use), in id order: the lock order. */
  readonly trackedRuleIds: readonly string[];
}

/**
 * When a rule can apply, coarsely: the local weekday-hours its schedule touches (7 × 24 buckets, null:
 * any), the stores its top-level condition names (null: any), and its validity in epoch ms. A rule out
 * of reach is certainly not eligible; one in reach is checked in full.
 */
export interface Reach {
  hours: Uint8Array | null;
  stores: ReadonlySet<string> | null;
  from: number;
  to: number;
  /** The target names nothing but its index key: a line the index matched is a target line. */
  exact: boolean;
}

const HOUR_MS = 3_600_000;
const BUCKET_MEMO = 4096;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function reachOf(rule: Rule): Reach {
  let hours: Uint8Array | null = null;
  const s = rule.schedule;
  if (s) {
    hours = new Uint8Array(7 * 24);
    for (let day = 1; day <= 7; day++) {
      if (s.weekdays && !s.weekdays.includes(day)) continue;
      for (let h = 0; h < 24; h++) {
        const open =
          !s.windows || s.windows.some((w) => minutes(w.from) < (h + 1) * 60 && h * 60 < minutes(w.to));
        if (open) hours[(day - 1) * 24 + h] = 1;
      }
    }
  }
  const c = rule.condition;
  const storeLeaf =
    c?.type === 'store' ? c : c?.type === 'and' ? c.all.find((x) => x.type === 'store') : undefined;
  return {
    hours,
    stores: storeLeaf?.type === 'store' ? new Set(storeLeaf.storeIds) : null,
    from: rule.validity?.from !== undefined ? Date.parse(rule.validity.from) : -Infinity,
    to: rule.validity?.to !== undefined ? Date.parse(rule.validity.to) : Infinity,
    exact: rule.target !== undefined && Object.keys(rule.target).length === 1,
  };
}

/** Key of a category path prefix in the index. */
export const categoryKey = (path: readonly string[]): string => path.join('\u001f');

export function compareRules(a: Rule, b: Rule): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Checks the set (unique ids; one mode and one phase per conflict group) and builds the indexes.
 * Throws DomainError `invalid_rule_set` naming the offending rule.
 */
export function compileRules(input: readonly Rule[]): CompiledRules {
  const rules = [...input].sort(compareRules);
  const order = new Map<string, number>();
  const groupModes = new Map<string, ConflictMode>();
  const groupPhases = new Map<string, string>();
  const groupScopes = new Map<string, string>();
  const bySku = new Map<string, number[]>();
  const byCategory = new Map<string, number[]>();
  const byBrand = new Map<string, number[]>();
  const bySupplier = new Map<string, number[]>();
  const all: number[] = [];
  const reach: Reach[] = [];
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  rules.forEach((rule, i) => {
    if (order.has(rule.id)) {
      throw new DomainError('invalid_rule_set', `rule id "${rule.id}" is used twice`, 422, 'rules');
    }
    order.set(rule.id, i);
    reach.push(reachOf(rule));
    if (rule.conflict) {
      const { group, mode } = rule.conflict;
      const phase = phaseOf(rule.benefit);
      const knownMode = groupModes.get(group);
      if (knownMode !== undefined && knownMode !== mode) {
        throw new DomainError(
          'invalid_rule_set',
          `rule "${rule.id}": conflict group "${group}" already has mode ${knownMode}`,
          422,
          'rules',
        );
      }
      const scope = rule.conflict.scope ?? 'check';
      const knownScope = groupScopes.get(group);
      if (knownScope !== undefined && knownScope !== scope) {
        throw new DomainError(
          'invalid_rule_set',
          `rule "${rule.id}": conflict group "${group}" mixes ${knownScope} and ${scope} scopes`,
          422,
          'rules',
        );
      }
      groupScopes.set(group, scope);
      const knownPhase = groupPhases.get(group);
      if (knownPhase !== undefined && knownPhase !== phase) {
        throw new DomainError(
          'invalid_rule_set',
          `rule "${rule.id}": conflict group "${group}" mixes ${knownPhase} and ${phase} rules`,
          422,
          'rules',
        );
      }
      groupModes.set(group, mode);
      groupPhases.set(group, phase);
    }
    const t = rule.target;
    if (t?.skus) for (const s of t.skus) add(bySku, s, i);
    else if (t?.categories) for (const c of t.categories) add(byCategory, categoryKey(c), i);
    else if (t?.brands) for (const b of t.brands) add(byBrand, b, i);
    else if (t?.suppliers) for (const s of t.suppliers) add(bySupplier, s, i);
    else all.push(i);
  });
  const lineGroups = new Set([...groupScopes].filter(([, scope]) => scope === 'line').map(([g]) => g));
  return {
    rules,
    order,
    groupModes,
    lineGroups,
    bySku,
    byCategory,
    byBrand,
    bySupplier,
    all,
    reach,
    allByBucket: new Map(),
    counters: requiredCounters(rules),
    trackedRuleIds: rules
      .filter((r) => r.limits !== undefined || r.validity?.relative?.from === 'firstUse')
      .map((r) => r.id)
      .sort(),
  };
}

/**
 * The rules that may apply to the check, in application order, each with the positions of the lines
 * its index key matched (null for rules without a key: every line). Only rules in reach of the check's
 * store, local weekday-hour and instant are returned; their conditions are checked in full later.
 */
export function candidates(
  compiled: CompiledRules,
  check: Check,
  at: Date,
): { positions: Int32Array; hits: Map<number, number[]> } {
  const local = localOf(check);
  const where: Where = {
    bucket: (local.weekday - 1) * 24 + Number(local.time.slice(0, 2)),
    storeId: check.storeId,
    hourStart: Math.floor(at.getTime() / HOUR_MS) * HOUR_MS,
  };
  const memoKey = `${where.bucket}|${where.hourStart}|${where.storeId}`;
  let everywhere = compiled.allByBucket.get(memoKey);
  if (everywhere === undefined) {
    everywhere = compiled.all.filter((i) => inReach(compiled.reach[i]!, where));
    if (compiled.allByBucket.size >= BUCKET_MEMO) compiled.allByBucket.clear();
    compiled.allByBucket.set(memoKey, everywhere);
  }
  const hits = new Map<number, number[]>();
  for (let l = 0; l < check.lines.length; l++) {
    const line = check.lines[l]!;
    addHits(compiled, compiled.bySku.get(line.sku), l, where, hits);
    for (let n = 1; n <= line.category.length; n++) {
      addHits(compiled, compiled.byCategory.get(categoryKey(line.category.slice(0, n))), l, where, hits);
    }
    if (line.brand !== undefined) addHits(compiled, compiled.byBrand.get(line.brand), l, where, hits);
    if (line.supplier !== undefined)
      addHits(compiled, compiled.bySupplier.get(line.supplier), l, where, hits);
  }
  const positions = new Int32Array(everywhere.length + hits.size);
  positions.set(everywhere);
  let k = everywhere.length;
  for (const i of hits.keys()) positions[k++] = i;
  positions.sort();
  return { positions, hits };
}

/** The check's weekday-hour bucket, store and UTC hour. */
interface Where {
  bucket: number;
  storeId: string;
  hourStart: number;
}

function inReach(r: Reach, where: Where): boolean {
  return (
    (r.hours === null || r.hours[where.bucket] === 1) &&
    (r.stores === null || r.stores.has(where.storeId)) &&
    r.from < where.hourStart + HOUR_MS &&
    r.to > where.hourStart
  );
}

/** Records line `l` against each rule of an index entry that is in reach. */
function addHits(
  compiled: CompiledRules,
  list: readonly number[] | undefined,
  l: number,
  where: Where,
  hits: Map<number, number[]>,
): void {
  if (!list) return;
  for (const i of list) {
    const lines = hits.get(i);
    if (lines === undefined) {
      if (inReach(compiled.reach[i]!, where)) hits.set(i, [l]);
    } else if (lines[lines.length - 1] !== l) lines.push(l);
  }
}
