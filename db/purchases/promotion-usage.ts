import { sql, type Kysely } from 'kysely';
import type { CustomerContext } from '../../engine/pricing/check';
import type { Database } from '../schema';
import type { Trx } from '../ledger/store';

/**
 * What each promotion has used — overall (customer 0) and per customer — for the engine's budgets,
 * usage limits and periods relative to a customer's first use. Only rules that read it are tracked
 * (`CompiledRules.trackedRuleIds`).
 */
type Usage = Pick<CustomerContext, 'usage' | 'customerUsage'>;

/**
 * Reads the usage of the rules; with `lock` (inside the confirming transaction) the rows are created
 * when missing and locked in rule order, so concurrent purchases spend a budget one after another.
 */
export async function readUsage(
  db: Kysely<Database> | Trx,
  input: { programId: number; ruleIds: readonly string[]; customerId: number | null; lock: boolean },
): Promise<Usage> {
  const out: Usage = { usage: {}, customerUsage: {} };
  if (input.ruleIds.length === 0) return out;
  const owners = input.customerId === null ? [0] : [0, input.customerId];
  if (input.lock) {
    await db
      .insertInto('promotion_usage')
      .values(
        input.ruleIds.flatMap((rule_id) =>
          owners.map((customer_id) => ({
            program_id: input.programId,
            rule_id,
            customer_id,
            first_used_at: null,
          })),
        ),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  let query = db
    .selectFrom('promotion_usage')
    .select(['rule_id', 'customer_id', 'uses', 'discount', 'points', 'first_used_at'])
    .where('program_id', '=', input.programId)
    .where('rule_id', '=', (eb) => eb.fn.any(eb.val([...input.ruleIds])))
    .where('customer_id', '=', (eb) => eb.fn.any(eb.val(owners)))
    .orderBy('rule_id')
    .orderBy('customer_id');
  if (input.lock) query = query.forUpdate();
  for (const row of await query.execute()) {
    const used = { uses: row.uses, discount: Number(row.discount), points: Number(row.points) };
    if (row.customer_id === 0) out.usage[row.rule_id] = used;
    else {
      out.customerUsage[row.rule_id] = {
        ...used,
        ...(row.first_used_at ? { firstUsedAt: row.first_used_at.toISOString() } : {}),
      };
    }
  }
  return out;
}

export interface UsageDelta {
  ruleId: string;
  uses: number;
  discount: number;
  points: number;
}

/**
 * Adds (or, for cancels and returns, subtracts) what a purchase used; the first use is remembered for
 * relative periods. Rows must exist (readUsage with lock created them).
 */
export async function addUsage(
  trx: Trx,
  input: { programId: number; customerId: number | null; deltas: readonly UsageDelta[]; at: Date },
): Promise<void> {
  for (const d of input.deltas) {
    const owners = input.customerId === null ? [0] : [0, input.customerId];
    await trx
      .updateTable('promotion_usage')
      .set({
        uses: sql`greatest(0, uses + ${d.uses})`,
        discount: sql`greatest(0, discount + ${d.discount})`,
        points: sql`greatest(0, points + ${d.points})`,
        first_used_at: sql`coalesce(first_used_at, ${d.uses > 0 ? input.at : null}::timestamptz)`,
      })
      .where('program_id', '=', input.programId)
      .where('rule_id', '=', d.ruleId)
      .where('customer_id', '=', (eb) => eb.fn.any(eb.val(owners)))
      .execute();
  }
}
