import type { Kysely } from 'kysely';
import { checkTierLadder, tierLadderSchema, type TierLadder } from '../../engine/contracts/tier-ladder';
import { recordAudit } from '../audit';
import type { Database } from '../schema';

export interface StoredTierLadder {
  ladder: TierLadder;
  updatedBy: string;
  updatedAt: string;
}

/** The program's tier ladder, or undefined when the program has no tiers. */
export async function getTierLadder(
  db: Kysely<Database>,
  programId: number,
): Promise<StoredTierLadder | undefined> {
  const row = await db
    .selectFrom('tier_ladders')
    .select(['ladder', 'updated_by', 'updated_at'])
    .where('program_id', '=', programId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ladder: tierLadderSchema.parse(row.ladder),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Replaces the program's ladder after checking it (unique codes, ascending thresholds: a DomainError
 * 422 names `tiers.N.…`), audited with the ladder it replaced.
 */
export async function putTierLadder(
  trx: Kysely<Database>,
  input: { programId: number; actor: string; ladder: TierLadder },
): Promise<StoredTierLadder> {
  const ladder = checkTierLadder(input.ladder);
  const before = await trx
    .selectFrom('tier_ladders')
    .select('ladder')
    .where('program_id', '=', input.programId)
    .forUpdate()
    .executeTakeFirst();
  const row = await trx
    .insertInto('tier_ladders')
    .values({ program_id: input.programId, ladder: JSON.stringify(ladder), updated_by: input.actor })
    .onConflict((oc) =>
      oc.column('program_id').doUpdateSet({
        ladder: (eb) => eb.ref('excluded.ladder'),
        updated_by: (eb) => eb.ref('excluded.updated_by'),
        updated_at: new Date(),
      }),
    )
    .returning(['updated_by', 'updated_at'])
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'tiers.ladder',
    subject: `program:${input.programId}`,
    changes: { before: before?.ladder ?? null, after: ladder },
    occurredAt: new Date(),
  });
  return { ladder, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() };
}
