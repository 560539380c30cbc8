import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';

/**
 * Each customer's qualifying spend for the tier ladder: confirmed purchases, net of returns, in the
 * `months` months up to `at`.
 */
export function qualifyingSpend(
  db: Kysely<Database>,
  input: { programId: number; at: Date; months: number },
) {
  return db
    .selectFrom('purchases')
    .select(['customer_id', sql<string>`sum(qualifying_amount - returned_amount)`.as('spend')])
    .where('program_id', '=', input.programId)
    .where('status', '=', 'confirmed')
    .where('occurred_at', '<=', input.at)
    .where('occurred_at', '>', sql<Date>`${input.at}::timestamptz - make_interval(months => ${input.months})`)
    .groupBy('customer_id');
}
