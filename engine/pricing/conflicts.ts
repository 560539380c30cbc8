import type { CompiledRules } from './compile';
import type { Explanation } from './result';
import type { Rule } from './rules';

/** A rule that passed its conditions on a check: where it stands in application order, its lines. */
export interface Candidate {
  pos: number;
  rule: Rule;
  target: number[];
  value: number;
}

/**
 * Keeps the winners of each conflict group; the losers point at the winner. In a line-scoped group
 * (`lineValue` gives a member's discount on one line) members compete on each line: a member keeps
 * the lines it wins as its target, and one that wins none points at the winner of its first line.
 */
export function resolve(
  cands: readonly Candidate[],
  compiled: CompiledRules,
  explain: Map<number, Explanation>,
  lineValue?: (c: Candidate, l: number) => number,
) {
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
  const beaten = (m: Candidate, by: Candidate) =>
    explain.set(m.pos, { ruleId: m.rule.id, status: 'beaten_by', by: by.rule.id });
  for (const [g, members] of groups) {
    const max = compiled.groupModes.get(g) === 'max';
    if (lineValue && compiled.lineGroups.has(g)) {
      // Members are in application order, so the first best on a line is the tie-break.
      const best = new Map<number, { c: Candidate; value: number }>();
      for (const m of members) {
        for (const l of m.target) {
          const held = best.get(l);
          if (held !== undefined && !max) continue;
          const value = max ? lineValue(m, l) : 0;
          if (held === undefined || value > held.value) best.set(l, { c: m, value });
        }
      }
      for (const m of members) {
        const won = m.target.filter((l) => best.get(l)!.c === m);
        if (won.length > 0) winners.push({ ...m, target: won });
        else beaten(m, best.get(m.target[0]!)!.c);
      }
      continue;
    }
    // Members are in application order: priority descending, then id.
    let best = members[0]!;
    if (max) for (const m of members) if (m.value > best.value) best = m;
    winners.push(best);
    for (const m of members) if (m !== best) beaten(m, best);
  }
  return winners.sort((a, b) => a.pos - b.pos);
}
