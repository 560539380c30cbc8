import { sql } from 'kysely';
import type { DB } from '../database';
import { reviewTiers } from './review-tiers';

/**
 * Runs the periodic tier reviews that are due at `at`: for every ladder reviewed monthly, quarterly
 * or yearly whose current period (in the program's time zone) has not been reviewed yet, all its
 * customers are placed as of the period's start, and the period is recorded. A round that finds
 * nothing due does one query. Returns the reviews run.
 */
export async function runDueTierReviews(
  db: DB,
  at: Date,
): Promise<{ programId: number; periodStart: Date; reviewed: number; changed: number }[]> {
  const due = await sql<{ programId: number; periodStart: Date }>`
    select program_id as "programId", period_start as "periodStart" from (
      select t.program_id, t.last_reviewed_at,
        date_trunc(case t.ladder->>'reviewPeriod' when 'monthly' then 'month' when 'quarterly' then 'quarter' else 'year' end,
          ${at}::timestamptz at time zone p.time_zone) at time zone p.time_zone as period_start
      from tier_ladders t join programs p on p.id = t.program_id
      where t.ladder->>'reviewPeriod' in ('monthly', 'quarterly', 'yearly')
    ) d where last_reviewed_at is null or last_reviewed_at < period_start
    order by program_id`.execute(db);
  const runs = [];
  for (const { programId, periodStart } of due.rows) {
    const result = await reviewTiers(db, { programId, at: periodStart });
    await db
      .updateTable('tier_ladders')
      .set({ last_reviewed_at: periodStart })
      .where('program_id', '=', programId)
      .execute();
    runs.push({ programId, periodStart, ...result });
  }
  return runs;
}
