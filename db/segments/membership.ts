import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dependencyOrder } from '../../engine/segments/validate';
import type { Database } from '../schema';
import { conditionPredicate, eligibleCustomers, type SegmentClock, type SegmentReferences } from './compile';
import { programVocabulary, segmentClock, storedCondition } from './references';

/** Outbox event types of membership changes: journeys enter, split and wait on them. */
export const segmentEnteredType = 'segment.entered';
export const segmentLeftType = 'segment.left';

/** Advisory lock namespace of a segment's membership: a full recompute and a refresh take turns. */
const membershipLock = 0x5e_61_e7;

export interface MembershipChange {
  entered: number;
  left: number;
  members: number;
}

/** A change applied, with the definition version it was evaluated by (null: the segment is archived). */
interface AppliedChange extends MembershipChange {
  version: number | null;
}

/** Takes a segment's membership lock until the transaction ends. */
export async function lockMembership(trx: Kysely<Database>, segmentId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${membershipLock}, ${segmentId}::int)`.execute(trx);
}

/**
 * Brings a segment's membership up to date in one statement: who the definition holds now (all the
 * program's customers, or only `customers`) enters, who it no longer holds leaves, and each change is
 * an outbox event `segment.entered` / `segment.left` on the customer's stream. Runs under the
 * segment's lock, so a full recompute and a refresh of a few customers never interleave their
 * writes; each evaluates after it holds the lock, so it reads what the one before it committed.
 */
async function applyMembership(
  trx: Kysely<Database>,
  input: {
    programId: number;
    segmentId: number;
    references: SegmentReferences;
    clock: SegmentClock;
    customers?: readonly number[];
  },
): Promise<AppliedChange> {
  const { programId, clock } = input;
  await lockMembership(trx, input.segmentId);
  // Read under the lock: a version stored or an archive committed meanwhile is what counts.
  const segment = await trx
    .selectFrom('segments')
    .select(['id', 'code', 'definition', 'version'])
    .where('id', '=', input.segmentId)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  if (!segment) return { entered: 0, left: 0, members: 0, version: null };
  const predicate = conditionPredicate(storedCondition(segment.definition), input.references, clock);
  const ids = input.customers ? sql`${[...input.customers]}::bigint[]` : null;
  const only = (column: RawBuilder<unknown>) => (ids ? sql`and ${column} = any(${ids})` : sql``);
  const event = (
    type: string,
    rows: string,
  ) => sql`insert into outbox (event_id, program_id, stream, type, payload, occurred_at)
    select gen_random_uuid(), ${programId}, 'customer:' || ${programId} || ':' || r.customer_id, ${type},
      jsonb_build_object('segmentId', ${segment.id}::bigint, 'segment', ${segment.code}::text, 'customerId', r.customer_id),
      ${clock.now}::timestamptz
    from ${sql.raw(rows)} r`;
  const { rows } = await sql<{ entered: string; left: string; members: string }>`
    with now_in as materialized (
      select c.id from customers c where ${eligibleCustomers(programId)} ${only(sql`c.id`)} and ${predicate}
    ), gone as (
      update segment_memberships m set left_at = ${clock.now}
      where m.segment_id = ${segment.id} and m.left_at is null ${only(sql`m.customer_id`)}
        and not exists (select 1 from now_in n where n.id = m.customer_id)
      returning m.customer_id
    ), came as (
      insert into segment_memberships (segment_id, customer_id, entered_at)
      select ${segment.id}, n.id, ${clock.now} from now_in n
      where not exists (select 1 from segment_memberships m
        where m.segment_id = ${segment.id} and m.customer_id = n.id and m.left_at is null)
      returning customer_id
    ), entered_events as (${event(segmentEnteredType, 'came')}), left_events as (${event(segmentLeftType, 'gone')})
    select (select count(*) from came) as entered, (select count(*) from gone) as left,
      (select count(*) from now_in) as members`.execute(trx);
  const row = rows[0]!;
  return {
    entered: Number(row.entered),
    left: Number(row.left),
    members: Number(row.members),
    version: segment.version,
  };
}

/**
 * Recomputes one segment over all the program's customers at `now` (the scheduled full recompute
 * keeps time-relative conditions true: birthdays, windows, ages) and stamps its count, in the
 * caller's transaction.
 */
export async function recomputeSegmentIn(
  trx: Kysely<Database>,
  input: { programId: number; segmentId: number; now: Date },
): Promise<MembershipChange> {
  const { references, vocabulary, timeZone } = await programVocabulary(trx, input.programId);
  const code = [...references.segments].find(([, id]) => id === input.segmentId)?.[0];
  // Archived (or not the program's): nothing to compute.
  if (code === undefined) return { entered: 0, left: 0, members: 0 };
  const { version, ...change } = await applyMembership(trx, {
    programId: input.programId,
    segmentId: input.segmentId,
    references,
    clock: segmentClock(input.now, timeZone),
  });
  if (version === null) return change;
  await trx
    .updateTable('segments')
    .set({ computed_at: input.now, member_count: change.members, computed_version: version })
    .where('id', '=', input.segmentId)
    .execute();
  // Segments that read this one's membership are due a full recompute when it changed.
  const dependents = [...vocabulary.segments].filter(([, refs]) => refs.includes(code)).map(([c]) => c);
  if (change.entered + change.left > 0 && dependents.length) {
    await trx
      .updateTable('segments')
      .set({ computed_version: null })
      .where('program_id', '=', input.programId)
      .where('code', 'in', dependents)
      .execute();
  }
  return change;
}

/** {@link recomputeSegmentIn} in a transaction of its own. */
export async function recomputeSegment(
  db: Kysely<Database>,
  input: { programId: number; segmentId: number; now: Date },
): Promise<MembershipChange> {
  return db.transaction().execute((trx) => recomputeSegmentIn(trx, input));
}

/** Recomputes every active segment of a program, each after the segments it refers to. */
export async function recomputeProgramSegments(
  db: Kysely<Database>,
  input: { programId: number; now: Date },
): Promise<{ segment: string; change: MembershipChange }[]> {
  const { vocabulary, references } = await programVocabulary(db, input.programId);
  const done: { segment: string; change: MembershipChange }[] = [];
  for (const code of dependencyOrder(vocabulary.segments)) {
    const segmentId = references.segments.get(code)!;
    const change = await recomputeSegment(db, { programId: input.programId, segmentId, now: input.now });
    done.push({ segment: code, change });
  }
  return done;
}

/**
 * Recomputes in full the segments that are due: new ones, ones whose definition changed since their
 * last full recompute, and ones that read a segment whose membership changed in full. The refresher
 * runs it beside the queue, so a stored definition has members within a poll or two. Returns what it
 * recomputed (at most `limit` segments a call).
 */
export async function recomputeDueSegments(
  db: Kysely<Database>,
  input: { now: Date; limit?: number },
): Promise<{ programId: number; segment: string; change: MembershipChange }[]> {
  const due = await db
    .selectFrom('segments')
    .select(['id', 'program_id', 'code'])
    .where('archived_at', 'is', null)
    .where((eb) =>
      eb.or([eb('computed_version', 'is', null), eb('computed_version', '<>', eb.ref('version'))]),
    )
    .orderBy('id')
    .limit(input.limit ?? 10)
    .execute();
  const done = [];
  for (const s of due) {
    const change = await recomputeSegment(db, { programId: s.program_id, segmentId: s.id, now: input.now });
    done.push({ programId: s.program_id, segment: s.code, change });
  }
  return done;
}

/**
 * The incremental path: takes up to `limit` queued customers (rows the triggers wrote when their
 * data changed), evaluates every active segment of their program for just them, in dependency order,
 * and applies the changes, all in one transaction that also removes the queue rows it took. Several
 * refreshers may run: each takes rows the others have not locked. Returns how many customers it took,
 * and the programs that failed (their customers queued again, for the next round).
 */
export async function refreshQueuedCustomers(
  db: Kysely<Database>,
  input: { now: Date; limit?: number },
): Promise<{
  customers: number;
  entered: number;
  left: number;
  failed: { programId: number; error: string }[];
}> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ customer_id: string; program_id: string }>`
      with taken as (
        delete from segment_refreshes q where q.id in (
          select id from segment_refreshes order by id limit ${input.limit ?? 500} for update skip locked)
        returning q.customer_id)
      select distinct t.customer_id, c.program_id from taken t join customers c on c.id = t.customer_id`.execute(
      trx,
    );
    const byProgram = new Map<number, number[]>();
    for (const r of rows) {
      const list = byProgram.get(Number(r.program_id)) ?? [];
      list.push(Number(r.customer_id));
      byProgram.set(Number(r.program_id), list);
    }
    let entered = 0;
    let left = 0;
    const failed: { programId: number; error: string }[] = [];
    // Programs in id order, segments in dependency order: every refresher takes the locks in one order.
    for (const [programId, customers] of [...byProgram].sort(([a], [b]) => a - b)) {
      // A program that fails (a definition that no longer compiles) keeps its customers queued and
      // does not hold up the others.
      await sql`savepoint program_refresh`.execute(trx);
      try {
        const { references, vocabulary, timeZone } = await programVocabulary(trx, programId);
        const clock = segmentClock(input.now, timeZone);
        for (const code of dependencyOrder(vocabulary.segments)) {
          const segmentId = references.segments.get(code)!;
          const change = await applyMembership(trx, { programId, segmentId, references, clock, customers });
          entered += change.entered;
          left += change.left;
        }
        await sql`release savepoint program_refresh`.execute(trx);
      } catch (error) {
        await sql`rollback to savepoint program_refresh`.execute(trx);
        await sql`insert into segment_refreshes (customer_id, cause)
          select unnest(${customers}::bigint[]), 'retry'`.execute(trx);
        failed.push({ programId, error: String((error as Error).message ?? error) });
      }
    }
    return { customers: rows.length, entered, left, failed };
  });
}
