import { sql } from 'kysely';
import type { DB } from '../../db/database';
import {
  conditionPredicate,
  createSegment,
  eligibleCustomers,
  programVocabulary,
  segmentClock,
  segmentEnteredType,
  segmentLeftType,
  storedCondition,
} from '../../db/segments';
import { type Condition, conditionSchema } from '../../engine/segments';

/**
 * Segment membership tests build their customers and purchases directly in the database (as
 * db/segments/compile.test.ts does) and compare the materialised membership with a fresh evaluation.
 */

export const day = 86_400_000;

export async function insertSegmentCustomer(
  db: DB,
  programId: number,
  key: string,
  fields: { profile?: object; registeredAt?: Date; tier?: string } = {},
): Promise<number> {
  const row = await db
    .insertInto('customers')
    .values({
      program_id: programId,
      profile: JSON.stringify(fields.profile ?? {}),
      questionnaire: JSON.stringify({}),
      referral_code: `SEG${key.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
      registration_channel: 'till',
      registered_at: fields.registeredAt ?? new Date('2025-01-01T00:00:00Z'),
      tier: fields.tier ?? null,
      status: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

let purchaseSeq = 0;

/** A confirmed purchase (or cancelled) written the way the confirm command leaves it; returns its id. */
export async function insertPurchase(
  db: DB,
  input: {
    programId: number;
    storeId: number;
    customerId: number;
    occurredAt: Date;
    amount: number;
    status?: 'confirmed' | 'cancelled';
  },
): Promise<number> {
  purchaseSeq += 1;
  const { rows } = await sql<{
    id: number;
  }>`insert into purchases (program_id, store_id, customer_id, external_ref,
      status, occurred_at, local_date_time, amount, discount, final_amount, qualifying_amount, returned_amount,
      points_spent, points_earned, "check", result, payments)
    values (${input.programId}, ${input.storeId}, ${input.customerId},
      ${`seg-${process.pid}-${purchaseSeq}-${input.customerId}`}, ${input.status ?? 'confirmed'},
      ${input.occurredAt}, '2026-01-01T00:00:00', ${input.amount}, 0, ${input.amount}, ${input.amount}, 0, 0, 0,
      '{}', '{}', '[]')
    returning id`.execute(db);
  return Number(rows[0]!.id);
}

export async function defineSegment(
  db: DB,
  programId: number,
  code: string,
  condition: unknown,
  at = new Date('2026-01-01T00:00:00Z'),
): Promise<number> {
  await db.transaction().execute((trx) =>
    createSegment(trx, {
      programId,
      actor: 'test',
      at,
      definition: { code, name: code, condition: conditionSchema.parse(condition) as Condition },
    }),
  );
  const row = await db
    .selectFrom('segments')
    .select('id')
    .where('program_id', '=', programId)
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Customers with an open membership of the segment, sorted. */
export async function openMembers(db: DB, segmentId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('segment_memberships')
    .select('customer_id')
    .where('segment_id', '=', segmentId)
    .where('left_at', 'is', null)
    .orderBy('customer_id')
    .execute();
  return rows.map((r) => Number(r.customer_id));
}

/** Whom the segment's stored definition holds now, evaluated afresh at `now`, sorted. */
export async function freshMembers(
  db: DB,
  programId: number,
  segmentId: number,
  now: Date,
): Promise<number[]> {
  const { references, timeZone } = await programVocabulary(db, programId);
  const segment = await db
    .selectFrom('segments')
    .select('definition')
    .where('id', '=', segmentId)
    .executeTakeFirstOrThrow();
  const predicate = conditionPredicate(
    storedCondition(segment.definition),
    references,
    segmentClock(now, timeZone),
  );
  const { rows } = await sql<{ id: string }>`select c.id from customers c
    where ${eligibleCustomers(programId)} and ${predicate} order by c.id`.execute(db);
  return rows.map((r) => Number(r.id));
}

/** Every membership row, in a stable order: two snapshots are equal when nothing was written. */
export async function membershipSnapshot(db: DB) {
  return db.selectFrom('segment_memberships').selectAll().orderBy('id').execute();
}

/** Outbox membership events per segment and customer. */
export async function membershipEvents(db: DB) {
  const { rows } = await sql<{
    segment_id: string;
    customer_id: string;
    stream: string;
    entered: string;
    left: string;
  }>`select payload->>'segmentId' as segment_id, payload->>'customerId' as customer_id, stream,
      count(*) filter (where type = ${segmentEnteredType}) as entered,
      count(*) filter (where type = ${segmentLeftType}) as left
    from outbox where type in (${segmentEnteredType}, ${segmentLeftType})
    group by 1, 2, 3 order by 1, 2`.execute(db);
  return rows.map((r) => ({
    segmentId: Number(r.segment_id),
    customerId: Number(r.customer_id),
    stream: r.stream,
    entered: Number(r.entered),
    left: Number(r.left),
  }));
}

export async function outboxCount(db: DB): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function queuedCustomers(db: DB): Promise<number[]> {
  const rows = await db
    .selectFrom('segment_refreshes')
    .select('customer_id')
    .distinct()
    .orderBy('customer_id')
    .execute();
  return rows.map((r) => Number(r.customer_id));
}

/** A small seeded generator (mulberry32): a failing race names its seed, and the seed repeats it. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}
