import { sql, type Kysely } from 'kysely';
import { DomainError } from '../../engine/errors';
import type { ConditionOutcome } from '../../engine/segments/contracts';
import { walk, type Condition } from '../../engine/segments/definition';
import { describeCondition } from '../../engine/segments/describe';
import type { Database } from '../schema';
import { conditionPredicate, eligibleCustomers, type SegmentClock, type SegmentReferences } from './compile';
import { programVocabulary, segmentClock, storedCondition } from './references';

/**
 * Reads of segments: the live count of a definition while a marketer edits it, a sample of who it
 * holds, the materialised members page by page, and for one customer every segment with the
 * conditions that held or failed. Reads run in read-only transactions with a statement timeout, so a
 * heavy definition cannot hold a connection for long.
 */

/** A live count is given up after this long (a 4xx tells the marketer to narrow the definition). */
const countTimeoutMs = 20_000;

async function readOnly<T>(db: Kysely<Database>, run: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      await sql`select set_config('statement_timeout', ${String(countTimeoutMs)}, true)`.execute(trx);
      return run(trx);
    });
  } catch (error) {
    if ((error as { code?: string }).code === '57014') {
      throw new DomainError(
        'segment_too_slow',
        `the count took longer than ${countTimeoutMs / 1000} s`,
        422,
        'condition',
      );
    }
    throw error;
  }
}

/** How many customers a definition holds now, and how long PostgreSQL took to count them. */
export async function countDefinition(
  db: Kysely<Database>,
  input: { programId: number; condition: Condition; now: Date },
): Promise<{ count: number; countMs: number; at: string }> {
  const { references, timeZone } = await programVocabulary(db, input.programId);
  const predicate = conditionPredicate(input.condition, references, segmentClock(input.now, timeZone));
  return readOnly(db, async (trx) => {
    const started = performance.now();
    const { rows } = await sql<{ n: string }>`select count(*) as n from customers c
      where ${eligibleCustomers(input.programId)} and ${predicate}`.execute(trx);
    return {
      count: Number(rows[0]!.n),
      countMs: Math.round((performance.now() - started) * 10) / 10,
      at: input.now.toISOString(),
    };
  });
}

const displayName = sql<
  string | null
>`nullif(concat_ws(' ', c.profile ->> 'firstName', c.profile ->> 'lastName'), '')`;

/** Up to `size` customers a definition holds now, spread over the program (a stable random order). */
export async function sampleDefinition(
  db: Kysely<Database>,
  input: { programId: number; condition: Condition; now: Date; size: number },
): Promise<{ customerId: number; displayName: string | null }[]> {
  const { references, timeZone } = await programVocabulary(db, input.programId);
  const predicate = conditionPredicate(input.condition, references, segmentClock(input.now, timeZone));
  return readOnly(db, async (trx) => {
    const { rows } = await sql<{ id: string; name: string | null }>`select c.id, ${displayName} as name
      from customers c where ${eligibleCustomers(input.programId)} and ${predicate}
      order by md5(c.id::text) limit ${input.size}`.execute(trx);
    return rows.map((r) => ({ customerId: Number(r.id), displayName: r.name }));
  });
}

async function segmentRow(db: Kysely<Database>, programId: number, code: string) {
  const row = await db
    .selectFrom('segments')
    .select(['id', 'code', 'name', 'definition', 'archived_at'])
    .where('program_id', '=', programId)
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row) throw new DomainError('segment_not_found', `no segment "${code}"`, 404, 'code');
  return row;
}

/** A page of a segment's current members in customer id order, after `after`. */
export async function segmentMembers(
  db: Kysely<Database>,
  input: { programId: number; code: string; after?: number | undefined; limit: number },
) {
  const segment = await segmentRow(db, input.programId, input.code);
  const rows = await db
    .selectFrom('segment_memberships as m')
    .innerJoin('customers as c', 'c.id', 'm.customer_id')
    .select(['m.customer_id', 'm.entered_at', displayName.as('name')])
    .where('m.segment_id', '=', segment.id)
    .where('m.left_at', 'is', null)
    .$if(input.after !== undefined, (q) => q.where('m.customer_id', '>', input.after!))
    .orderBy('m.customer_id')
    .limit(input.limit + 1)
    .execute();
  const page = rows.slice(0, input.limit);
  return {
    members: page.map((r) => ({
      customerId: Number(r.customer_id),
      enteredAt: r.entered_at.toISOString(),
      displayName: r.name,
    })),
    next: rows.length > input.limit ? Number(page.at(-1)!.customer_id) : null,
  };
}

/** Every condition of a tree, evaluated for one customer: which held and which failed. */
async function outcomes(
  db: Kysely<Database>,
  customerId: number,
  condition: Condition,
  references: SegmentReferences,
  clock: SegmentClock,
): Promise<ConditionOutcome> {
  const nodes = [...walk(condition)];
  const columns = nodes.map(
    (n, i) => sql`${conditionPredicate(n.condition, references, clock, 'customers')} as ${sql.id(`c${i}`)}`,
  );
  const { rows } = await sql<Record<string, boolean>>`select ${sql.join(columns)} from customers c
    where c.id = ${customerId}`.execute(db);
  const row = rows[0]!;
  const byPath = new Map<string, ConditionOutcome>();
  nodes.forEach((n, i) => {
    const outcome: ConditionOutcome = {
      path: n.path.join('.'),
      type: n.condition.type,
      description: describeCondition(n.condition),
      matched: row[`c${i}`] === true,
    };
    byPath.set(outcome.path, outcome);
    // A child's path ends in `condition` (under a not) or in `conditions.<i>` (under all / any).
    const parentPath = n.path.slice(0, n.path.at(-1) === 'condition' ? -1 : -2).join('.');
    if (n.path.length > 1) (byPath.get(parentPath)!.children ??= []).push(outcome);
  });
  return byPath.get('condition')!;
}

/**
 * For one customer: every active segment, whether its definition holds now, whether the materialised
 * membership holds them (and since when), and each condition's outcome — the contact centre's
 * answer to "why didn't I get the offer?".
 */
export async function customerSegments(
  db: Kysely<Database>,
  input: { programId: number; customerId: number; now: Date },
) {
  const customer = await db
    .selectFrom('customers')
    .select('id')
    .where('id', '=', input.customerId)
    .where('program_id', '=', input.programId)
    .executeTakeFirst();
  if (!customer) throw new DomainError('customer_not_found', 'no such customer', 404, 'customerId');
  const { references, timeZone } = await programVocabulary(db, input.programId);
  const clock = segmentClock(input.now, timeZone);
  const segments = await db
    .selectFrom('segments as s')
    .leftJoin('segment_memberships as m', (join) =>
      join
        .onRef('m.segment_id', '=', 's.id')
        .on('m.customer_id', '=', input.customerId)
        .on('m.left_at', 'is', null),
    )
    .select(['s.code', 's.name', 's.definition', 'm.entered_at'])
    .where('s.program_id', '=', input.programId)
    .where('s.archived_at', 'is', null)
    .orderBy('s.code')
    .execute();
  const result = [];
  for (const s of segments) {
    const conditions = await outcomes(db, input.customerId, storedCondition(s.definition), references, clock);
    result.push({
      segment: s.code,
      name: s.name,
      matches: conditions.matched,
      member: s.entered_at !== null,
      enteredAt: s.entered_at?.toISOString() ?? null,
      conditions,
    });
  }
  return { customerId: input.customerId, at: input.now.toISOString(), segments: result };
}
