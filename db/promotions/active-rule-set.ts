import type { Kysely } from 'kysely';
import type { CompiledRules } from '../../engine/pricing/compile';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';
import { compileRuleSet } from './rule-sets';

export interface ActiveRuleSet {
  version: number;
  compiled: CompiledRules;
}

interface Entry {
  /** `programs.active_rule_set_id` the entry was compiled for: an identity, never reused. */
  ruleSetId: number;
  snapshot: Promise<ActiveRuleSet>;
}

/** The compiled published set of each program this process has served (one database per process). */
const cache = new Map<number, Entry>();

async function load(db: Kysely<Database>, ruleSetId: number): Promise<ActiveRuleSet> {
  const row = await db
    .selectFrom('promotion_rule_sets')
    .select(['version', 'rules'])
    .where('id', '=', ruleSetId)
    .executeTakeFirstOrThrow();
  return { version: row.version, compiled: compileRuleSet(row.rules) };
}

/**
 * The program's published rule set, compiled, or undefined when none is published. Each call reads
 * the program's pointer to its published set (one primary-key lookup) and compiles only when the
 * pointer moved; concurrent callers share one compile. A publish swaps the whole snapshot: a caller
 * gets the old one or the new one, never a mix. A failed load is not cached.
 */
export async function activeRuleSet(
  db: Kysely<Database>,
  programId: number,
): Promise<ActiveRuleSet | undefined> {
  const program = await db
    .selectFrom('programs')
    .select('active_rule_set_id')
    .where('id', '=', programId)
    .executeTakeFirst();
  if (!program) throw new DomainError('program_not_found', `no program ${programId}`, 404);
  return ruleSetAt(db, programId, program.active_rule_set_id);
}

/**
 * The compiled set for a pointer the caller read already (with the program, in one round trip),
 * from the cache when the pointer has not moved.
 */
export function ruleSetAt(
  db: Kysely<Database>,
  programId: number,
  ruleSetId: number | null,
): Promise<ActiveRuleSet | undefined> {
  if (ruleSetId === null) {
    cache.delete(programId);
    return Promise.resolve(undefined);
  }
  const cached = cache.get(programId);
  if (cached?.ruleSetId === ruleSetId) return cached.snapshot;
  const snapshot = load(db, ruleSetId);
  cache.set(programId, { ruleSetId, snapshot });
  snapshot.catch(() => {
    if (cache.get(programId)?.snapshot === snapshot) cache.delete(programId);
  });
  return snapshot;
}
