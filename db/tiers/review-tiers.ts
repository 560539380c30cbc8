import { reviewTier } from '../../engine/tiers/review';
import { recordAudit } from '../audit';
import type { DB } from '../database';
import { qualifyingSpend } from './qualifying-spend';
import { getTierLadder } from './tier-ladder';

/**
 * The periodic tier review (ladders reviewed monthly, quarterly or yearly): every customer of the
 * program is placed by the qualifying spend of the window ending at `at`, in batches, each change
 * audited. Idempotent: a second run at the same time changes nothing. Returns how many changed.
 */
export async function reviewTiers(
  db: DB,
  input: { programId: number; at: Date; batchSize?: number },
): Promise<{ reviewed: number; changed: number }> {
  const stored = await getTierLadder(db, input.programId);
  if (!stored) return { reviewed: 0, changed: 0 };
  const { ladder } = stored;
  let after = 0;
  let reviewed = 0;
  let changed = 0;
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('customers')
        .leftJoin(
          qualifyingSpend(trx, { programId: input.programId, at: input.at, months: ladder.window.months }).as(
            'p',
          ),
          (join) => join.onRef('p.customer_id', '=', 'customers.id'),
        )
        .select(['customers.id', 'customers.tier', 'customers.tier_since', 'p.spend'])
        .where('customers.program_id', '=', input.programId)
        .where('customers.status', 'in', ['active', 'pending'])
        .where('customers.id', '>', after)
        .orderBy('customers.id')
        .limit(input.batchSize ?? 1000)
        .forUpdate('customers')
        .execute();
      for (const row of rows) {
        const tier = reviewTier(
          ladder,
          { tier: row.tier, since: row.tier_since },
          Number(row.spend ?? 0),
          input.at,
        );
        // Placed at or after this review time already (a retried run): leave it.
        if (tier === row.tier || (row.tier_since !== null && row.tier_since >= input.at)) continue;
        await trx
          .updateTable('customers')
          .set({ tier, tier_since: input.at })
          .where('id', '=', row.id)
          .execute();
        await recordAudit(trx, {
          programId: input.programId,
          actor: 'system:tier-review',
          action: 'customer.tier',
          subject: `customer:${row.id}`,
          changes: { from: row.tier, to: tier },
          occurredAt: input.at,
        });
        changed += 1;
      }
      return rows;
    });
    reviewed += batch.length;
    if (batch.length === 0) return { reviewed, changed };
    after = batch[batch.length - 1]!.id;
  }
}
