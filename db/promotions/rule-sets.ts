import { sql, type Kysely } from 'kysely';
import { compileRules, type CompiledRules } from '../../engine/pricing/compile';
import { parseRules } from '../../engine/pricing/rules';
import type { RuleSet, RuleSetSummary } from '../../engine/contracts/promotions';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Database, RuleSetStatus } from '../schema';

/**
 * Promotions as versioned rule sets: a draft is written once and never changes; publishing makes it
 * the program's one published set (archiving the one before) and points `programs.active_rule_set_id`
 * at it, which is what db/promotions/active-rule-set.ts caches by.
 */

interface Actor {
  programId: number;
  actor: string;
}

/** Parses and compiles a rule set; a DomainError 422 names the failing place (`rules.3.benefit.bps`). */
export function compileRuleSet(rules: unknown): CompiledRules {
  return compileRules(parseRules(rules, 'rules'));
}

/** Locks the program's row against concurrent rule-set changes (not against inserts that reference it). */
async function lockProgram(trx: Kysely<Database>, programId: number): Promise<void> {
  const row = await trx
    .selectFrom('programs')
    .select('id')
    .where('id', '=', programId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError('program_not_found', `no program ${programId}`, 404);
}

export async function createRuleSet(
  trx: Kysely<Database>,
  input: Actor & { rules: unknown[]; note?: string | undefined },
): Promise<RuleSetSummary> {
  const compiled = compileRuleSet(input.rules);
  await lockProgram(trx, input.programId);
  const last = await trx
    .selectFrom('promotion_rule_sets')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('program_id', '=', input.programId)
    .executeTakeFirst();
  const row = await trx
    .insertInto('promotion_rule_sets')
    .values({
      program_id: input.programId,
      version: (last?.version ?? 0) + 1,
      rules: JSON.stringify(input.rules),
      note: input.note ?? null,
      created_by: input.actor,
    })
    .returning(['version', 'status', 'note', 'created_by', 'created_at', 'published_at'])
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'promotions.rule-set.create',
    subject: `rule-set:${row.version}`,
    changes: { version: row.version, rules: compiled.rules.length, note: row.note },
    occurredAt: new Date(),
  });
  return toSummary({ ...row, rule_count: input.rules.length });
}

/**
 * Publishes a draft (or an archived set again, as a rollback) in the caller's transaction: the set is
 * validated once more against today's engine, the published one is archived, and the program points
 * at the new one. An invalid set is refused and nothing changes.
 */
export async function publishRuleSet(
  trx: Kysely<Database>,
  input: Actor & { version: number },
): Promise<{ version: number; previousVersion: number | null }> {
  await lockProgram(trx, input.programId);
  const target = await trx
    .selectFrom('promotion_rule_sets')
    .select(['id', 'status', 'rules'])
    .where('program_id', '=', input.programId)
    .where('version', '=', input.version)
    .executeTakeFirst();
  if (!target) throw new DomainError('rule_set_not_found', `no rule set ${input.version}`, 404, 'version');
  if (target.status === 'published') {
    throw new DomainError('rule_set_published', `rule set ${input.version} is published`, 409, 'version');
  }
  compileRuleSet(target.rules);
  const previous = await trx
    .updateTable('promotion_rule_sets')
    .set({ status: 'archived' })
    .where('program_id', '=', input.programId)
    .where('status', '=', 'published')
    .returning('version')
    .executeTakeFirst();
  await trx
    .updateTable('promotion_rule_sets')
    .set({ status: 'published', published_at: new Date() })
    .where('id', '=', target.id)
    .execute();
  await trx
    .updateTable('programs')
    .set({ active_rule_set_id: target.id })
    .where('id', '=', input.programId)
    .execute();
  const result = { version: input.version, previousVersion: previous?.version ?? null };
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'promotions.rule-set.publish',
    subject: `rule-set:${input.version}`,
    changes: result,
    occurredAt: new Date(),
  });
  return result;
}

/** Takes the published set out of use: the program has no active promotions until the next publish. */
export async function unpublishRuleSet(
  trx: Kysely<Database>,
  input: Actor & { version: number },
): Promise<RuleSetSummary> {
  await lockProgram(trx, input.programId);
  const row = await trx
    .updateTable('promotion_rule_sets')
    .set({ status: 'archived' })
    .where('program_id', '=', input.programId)
    .where('version', '=', input.version)
    .where('status', '=', 'published')
    .returning(['version', 'status', 'note', 'created_by', 'created_at', 'published_at'])
    .returning(sql<number>`jsonb_array_length(rules)`.as('rule_count'))
    .executeTakeFirst();
  if (!row) {
    throw new DomainError(
      'rule_set_not_published',
      `rule set ${input.version} is not the published one`,
      409,
      'version',
    );
  }
  await trx
    .updateTable('programs')
    .set({ active_rule_set_id: null })
    .where('id', '=', input.programId)
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'promotions.rule-set.unpublish',
    subject: `rule-set:${input.version}`,
    changes: { version: input.version },
    occurredAt: new Date(),
  });
  return toSummary(row);
}

interface SummaryRow {
  version: number;
  status: RuleSetStatus;
  note: string | null;
  created_by: string;
  created_at: Date;
  published_at: Date | null;
  rule_count: number;
}

function toSummary(row: SummaryRow): RuleSetSummary {
  return {
    version: row.version,
    status: row.status,
    ruleCount: row.rule_count,
    note: row.note,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    publishedAt: row.published_at?.toISOString() ?? null,
  };
}

const summaryColumns = ['version', 'status', 'note', 'created_by', 'created_at', 'published_at'] as const;

/** The program's rule sets, newest first, without their rules. */
export async function listRuleSets(
  db: Kysely<Database>,
  programId: number,
  status?: RuleSetStatus,
): Promise<RuleSetSummary[]> {
  let query = db
    .selectFrom('promotion_rule_sets')
    .select(summaryColumns)
    .select(sql<number>`jsonb_array_length(rules)`.as('rule_count'))
    .where('program_id', '=', programId)
    .orderBy('version', 'desc');
  if (status) query = query.where('status', '=', status);
  return (await query.execute()).map(toSummary);
}

export async function getRuleSet(db: Kysely<Database>, programId: number, version: number): Promise<RuleSet> {
  const row = await db
    .selectFrom('promotion_rule_sets')
    .select(summaryColumns)
    .select(['rules', sql<number>`jsonb_array_length(rules)`.as('rule_count')])
    .where('program_id', '=', programId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw new DomainError('rule_set_not_found', `no rule set ${version}`, 404, 'version');
  return { ...toSummary(row), rules: row.rules };
}
