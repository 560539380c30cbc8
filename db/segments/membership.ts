import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dependencyLevels, type SegmentSource } from '../../engine/segments/validate';
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

/** A segment's definition as read under its lock. */
interface LockedSegment {
  id: number;
  code: string;
  definition: unknown;
  version: number;
}

/** Takes a segment's membership lock until the transaction ends. */
export async function lockMembership(trx: Kysely<Database>, segmentId: number): Promise<void> {
  await lockMemberships(trx, [segmentId]);
}

/**
 * Takes the membership locks of segments (in id order, as every taker does) and reads their current
 * definitions under them: a version stored or an archive committed meanwhile is what counts, and an
 * archived segment is left out.
 */
async function lockMemberships(
  trx: Kysely<Database>,
  segmentIds: readonly number[],
): Promise<LockedSegment[]> {
  if (!segmentIds.length) return [];
  await sql`select pg_advisory_xact_lock(${membershipLock}, id::int)
    from unnest(${[...segmentIds]}::bigint[]) id order by id`.execute(trx);
  const rows = await trx
    .selectFrom('segments')
    .select(['id', 'code', 'definition', 'version'])
    .where('id', 'in', [...segmentIds])
    .where('archived_at', 'is', null)
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/**
 * Brings the membership of segments (locked, none reading another of them) up to date in one
 * statement: who each definition holds now — among all the program's customers, or only
 * `customers` — enters, who it no longer holds leaves, and each change is an outbox event
 * `segment.entered` / `segment.left` on the customer's stream. The segments' locks keep a full
 * recompute and a refresh of a few customers from interleaving their writes, and each evaluates after
 * it holds them, so it reads what the one before it committed.
 */
async function applyMemberships(
  trx: Kysely<Database>,
  input: {
    programId: number;
    segments: readonly LockedSegment[];
    references: SegmentReferences;
    clock: SegmentClock;
    customers?: readonly number[];
  },
): Promise<Map<number, MembershipChange>> {
  const { programId, clock, segments } = input;
  if (!segments.length) return new Map();
  const ids = input.customers ? sql`${[...input.customers]}::bigint[]` : null;
  const only = (column: RawBuilder<unknown>) => (ids ? sql`and ${column} = any(${ids})` : sql``);
  const audience = input.customers ? 'customers' : 'program';
  const holds = sql.join(
    segments.map((s) => {
      const predicate = conditionPredicate(storedCondition(s.definition), input.references, clock, audience);
      return sql`select ${s.id}::bigint as segment_id, c.id from customers c
        where ${eligibleCustomers(programId)} ${only(sql`c.id`)} and ${predicate}`;
    }),
    sql` union all `,
  );
  const segmentIds = sql`${segments.map((s) => s.id)}::bigint[]`;
  const names = sql`(select * from unnest(${segmentIds}, ${segments.map((s) => s.code)}::text[]) n(segment_id, code))`;
  const event = (
    type: string,
    rows: string,
  ) => sql`insert into outbox (event_id, program_id, stream, type, payload, occurred_at)
    select gen_random_uuid(), ${programId}, 'customer:' || ${programId} || ':' || r.customer_id, ${type},
      jsonb_build_object('segmentId', r.segment_id, 'segment', n.code, 'customerId', r.customer_id), ${clock.now}::timestamptz
    from ${sql.raw(rows)} r join ${names} n on n.segment_id = r.segment_id`;
  const { rows } = await sql<{ segment_id: string; entered: string; left: string; members: string }>`
    with now_in as materialized (${holds}), gone as (
      update segment_memberships m set left_at = ${clock.now}
      where m.segment_id = any(${segmentIds}) and m.left_at is null ${only(sql`m.customer_id`)}
        and not exists (select 1 from now_in n where n.segment_id = m.segment_id and n.id = m.customer_id)
      returning m.segment_id, m.customer_id
    ), came as (
      insert into segment_memberships (segment_id, customer_id, entered_at)
      select n.segment_id, n.id, ${clock.now} from now_in n
      where not exists (select 1 from segment_memberships m
        where m.segment_id = n.segment_id and m.customer_id = n.id and m.left_at is null)
      returning segment_id, customer_id
    ), entered_events as (${event(segmentEnteredType, 'came')}), left_events as (${event(segmentLeftType, 'gone')})
    select x.id as segment_id,
      (select count(*) from came where came.segment_id = x.id) as entered,
      (select count(*) from gone where gone.segment_id = x.id) as left,
      (select count(*) from now_in where now_in.segment_id = x.id) as members
    from unnest(${segmentIds}) x(id)`.execute(trx);
  return new Map(
    rows.map((r) => [
      Number(r.segment_id),
      { entered: Number(r.entered), left: Number(r.left), members: Number(r.members) },
    ]),
  );
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
  const [segment] = await lockMemberships(trx, [input.segmentId]);
  if (!segment) return { entered: 0, left: 0, members: 0 };
  const changes = await applyMemberships(trx, {
    programId: input.programId,
    segments: [segment],
    references,
    clock: segmentClock(input.now, timeZone),
  });
  const change = changes.get(segment.id)!;
  await trx
    .updateTable('segments')
    .set({ computed_at: input.now, member_count: change.members, computed_version: segment.version })
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
  for (const code of dependencyLevels(vocabulary.segments).flat()) {
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

/** What each queue cause (the table whose trigger queued the customer) may change; others: anything. */
const sourceOfCause: Record<string, SegmentSource> = {
  purchases: 'purchases',
  customer_events: 'events',
  accounts: 'points',
  coupons: 'coupons',
  cards: 'cards',
};

/**
 * Brings one program's segments up to date for a few of its customers, level by level: the segments
 * whose definitions read what changed (`sources`), and those that read such a segment.
 */
async function refreshProgram(
  trx: Kysely<Database>,
  input: { programId: number; customers: readonly number[]; sources: Set<SegmentSource> | 'all'; now: Date },
  totals: { entered: number; left: number },
): Promise<{ entered: number; left: number }> {
  const { programId, customers, sources } = input;
  const { references, vocabulary, timeZone, sources: reads } = await programVocabulary(trx, programId);
  const clock = segmentClock(input.now, timeZone);
  const moved = new Set<string>();
  const levels = dependencyLevels(vocabulary.segments).map((level) =>
    level.filter((code) => {
      const affected =
        sources === 'all' ||
        [...(reads.get(code) ?? [])].some((s) => sources.has(s)) ||
        (vocabulary.segments.get(code) ?? []).some((ref) => moved.has(ref));
      if (affected) moved.add(code);
      return affected;
    }),
  );
  const locked = await lockMemberships(
    trx,
    levels.flat().map((code) => references.segments.get(code)!),
  );
  const byCode = new Map(locked.map((l) => [l.code, l]));
  let { entered, left } = totals;
  // One statement a level: a segment reading another is evaluated after it.
  for (const level of levels) {
    const segments = level.flatMap((code) => byCode.get(code) ?? []);
    const changes = await applyMemberships(trx, { programId, segments, references, clock, customers });
    for (const change of changes.values()) {
      entered += change.entered;
      left += change.left;
    }
  }
  return { entered, left };
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
    // Derived data: a crash may lose the last refreshes, but only whole, queue rows included, so they
    // are taken again; nothing waits for this transaction's flush (synchronous_commit off).
    const { rows } = await sql<{ customer_id: string; program_id: string; causes: string[] }>`
      with taken as (
        delete from segment_refreshes q where q.id in (
          select id from segment_refreshes order by id limit ${input.limit ?? 500} for update skip locked)
        returning q.customer_id, q.cause)
      select t.customer_id, c.program_id, array_agg(distinct t.cause) as causes
      from taken t join customers c on c.id = t.customer_id
      where set_config('synchronous_commit', 'off', true) = 'off'
      group by t.customer_id, c.program_id`.execute(trx);
    const byProgram = new Map<number, { customers: number[]; sources: Set<SegmentSource> | 'all' }>();
    for (const r of rows) {
      const program = byProgram.get(Number(r.program_id)) ?? { customers: [], sources: new Set() };
      program.customers.push(Number(r.customer_id));
      for (const cause of r.causes) {
        const source = sourceOfCause[cause];
        if (program.sources === 'all' || !source) program.sources = 'all';
        else program.sources.add(source);
      }
      byProgram.set(Number(r.program_id), program);
    }
    let entered = 0;
    let left = 0;
    const failed: { programId: number; error: string }[] = [];
    // Programs in id order, segments' locks in id order: every refresher takes them in one order.
    const programs = [...byProgram].sort(([a], [b]) => a - b);
    for (const [programId, { customers, sources }] of programs) {
      const refresh = () =>
        refreshProgram(trx, { programId, customers, sources, now: input.now }, { entered, left });
      if (programs.length === 1) {
        // Alone in the batch, a failure rolls the whole batch back: its queue rows stay for a retry.
        ({ entered, left } = await refresh());
        continue;
      }
      // Beside others, a program that fails (a definition that no longer compiles) keeps its customers
      // queued and does not hold up the rest.
      await sql`savepoint program_refresh`.execute(trx);
      try {
        ({ entered, left } = await refresh());
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
