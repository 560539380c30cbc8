import { DomainError } from '../errors';
import type { CheckLine } from './check';
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
  readonly bySku: ReadonlyMap<string, readonly number[]>;
  readonly byCategory: ReadonlyMap<string, readonly number[]>;
  readonly byBrand: ReadonlyMap<string, readonly number[]>;
  readonly bySupplier: ReadonlyMap<string, readonly number[]>;
  /** Rules whose target has no sku, category, brand or supplier list: candidates for every check. */
  readonly all: readonly number[];
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
  const bySku = new Map<string, number[]>();
  const byCategory = new Map<string, number[]>();
  const byBrand = new Map<string, number[]>();
  const bySupplier = new Map<string, number[]>();
  const all: number[] = [];
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
  return { rules, order, groupModes, bySku, byCategory, byBrand, bySupplier, all };
}

/** Positions (in application order) of the rules whose target may match a line of the check. */
export function candidates(compiled: CompiledRules, lines: readonly CheckLine[]): number[] {
  const seen = new Set<number>(compiled.all);
  const put = (list: readonly number[] | undefined) => {
    if (list) for (const i of list) seen.add(i);
  };
  for (const line of lines) {
    put(compiled.bySku.get(line.sku));
    for (let n = 1; n <= line.category.length; n++)
      put(compiled.byCategory.get(categoryKey(line.category.slice(0, n))));
    if (line.brand !== undefined) put(compiled.byBrand.get(line.brand));
    if (line.supplier !== undefined) put(compiled.bySupplier.get(line.supplier));
  }
  return [...seen].sort((a, b) => a - b);
}
