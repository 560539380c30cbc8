import { sql, type Kysely, type Selectable } from 'kysely';
import { DomainError } from '../../engine/errors';
import type { Segment } from '../../engine/segments/contracts';
import type { Condition, SegmentDefinition } from '../../engine/segments/definition';
import { definitionIssues, type DefinitionIssue } from '../../engine/segments/validate';
import { recordAudit } from '../audit';
import type { Database, SegmentTable } from '../schema';
import { lockMembership, segmentLeftType } from './membership';
import { programVocabulary, storedCondition } from './references';

/**
 * Segment definitions as versioned data: every change is a new version kept in `segment_versions`,
 * the segment row holds the current one. A definition is checked against the program before it is
 * stored (unknown fields, wrong types, unknown codes, a cycle through other segments: 422 naming the
 * path of the condition); nothing is written when it fails.
 */

function toSegment(row: Selectable<SegmentTable>): Segment {
  return {
    code: row.code,
    name: row.name,
    description: row.description,
    version: row.version,
    condition: storedCondition(row.definition),
    archivedAt: row.archived_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    computedAt: row.computed_at?.toISOString() ?? null,
    memberCount: row.member_count === null ? null : Number(row.member_count),
  };
}

/** The issues of a definition against the program now (empty when it may be stored). */
export async function checkDefinition(
  db: Kysely<Database>,
  programId: number,
  code: string,
  condition: Condition,
): Promise<DefinitionIssue[]> {
  const { vocabulary } = await programVocabulary(db, programId);
  return definitionIssues(code, condition, vocabulary);
}

async function assertValid(db: Kysely<Database>, programId: number, code: string, condition: Condition) {
  const issues = await checkDefinition(db, programId, code, condition);
  const first = issues[0];
  if (first) throw new DomainError('segment_invalid', first.message, 422, first.field);
}

async function saveVersion(
  trx: Kysely<Database>,
  row: Selectable<SegmentTable>,
  actor: string,
  programId: number,
  action: string,
) {
  await trx
    .insertInto('segment_versions')
    .values({
      segment_id: row.id,
      version: row.version,
      name: row.name,
      description: row.description,
      definition: JSON.stringify(row.definition),
      actor,
    })
    .execute();
  await recordAudit(trx, {
    programId,
    actor,
    action,
    subject: `segment:${row.code}`,
    changes: { version: row.version, name: row.name, condition: row.definition },
    occurredAt: row.updated_at,
  });
}

/** Creates a segment (version 1); its membership is computed by the next recompute. */
export async function createSegment(
  trx: Kysely<Database>,
  input: { programId: number; actor: string; at: Date; definition: SegmentDefinition },
): Promise<Segment> {
  const { definition } = input;
  await lockDefinitions(trx, input.programId);
  await assertValid(trx, input.programId, definition.code, definition.condition);
  const row = await trx
    .insertInto('segments')
    .values({
      program_id: input.programId,
      code: definition.code,
      name: definition.name,
      description: definition.description ?? null,
      version: 1,
      definition: JSON.stringify(definition.condition),
      updated_at: input.at,
    })
    .onConflict((oc) => oc.constraint('segments_program_code').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new DomainError('segment_exists', `a segment "${definition.code}" exists already`, 409, 'code');
  await saveVersion(trx, row, input.actor, input.programId, 'segments.create');
  return toSegment(row);
}

/**
 * One create, version or archive at a time per program, so no two of them can together leave a
 * reference to an archived segment, or a cycle that each alone would be refused for.
 */
const definitionsLock = 0x5e_61_de;

async function lockDefinitions(trx: Kysely<Database>, programId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${definitionsLock}, ${programId}::int)`.execute(trx);
}

async function segmentId(trx: Kysely<Database>, programId: number, code: string): Promise<number> {
  const row = await trx
    .selectFrom('segments')
    .select('id')
    .where('program_id', '=', programId)
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function lockSegment(trx: Kysely<Database>, programId: number, code: string) {
  const row = await trx
    .selectFrom('segments')
    .selectAll()
    .where('program_id', '=', programId)
    .where('code', '=', code)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError('segment_not_found', `no segment "${code}"`, 404, 'code');
  return row;
}

/** Stores a new version of a segment's definition; an archived segment is not changed (409). */
export async function updateSegment(
  trx: Kysely<Database>,
  input: {
    programId: number;
    actor: string;
    at: Date;
    code: string;
    definition: Omit<SegmentDefinition, 'code'>;
  },
): Promise<Segment> {
  await lockDefinitions(trx, input.programId);
  const current = await lockSegment(trx, input.programId, input.code);
  if (current.archived_at)
    throw new DomainError('segment_archived', `segment "${input.code}" is archived`, 409, 'code');
  await assertValid(trx, input.programId, input.code, input.definition.condition);
  const row = await trx
    .updateTable('segments')
    .set({
      name: input.definition.name,
      description: input.definition.description ?? null,
      version: current.version + 1,
      definition: JSON.stringify(input.definition.condition),
      updated_at: input.at,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await saveVersion(trx, row, input.actor, input.programId, 'segments.update');
  return toSegment(row);
}

/**
 * Archives a segment: its members leave it (each a `segment.left` event) and it is no longer
 * evaluated. Refused (409) while another active segment refers to it.
 */
export async function archiveSegment(
  trx: Kysely<Database>,
  input: { programId: number; actor: string; at: Date; code: string },
): Promise<Segment> {
  await lockDefinitions(trx, input.programId);
  // The membership lock before the row's, in the order a recompute takes them.
  const found = await getSegment(trx, input.programId, input.code);
  if (found.archivedAt) return found;
  await lockMembership(trx, await segmentId(trx, input.programId, input.code));
  const current = await lockSegment(trx, input.programId, input.code);
  const { vocabulary } = await programVocabulary(trx, input.programId);
  const dependent = [...vocabulary.segments].find(([, refs]) => refs.includes(input.code))?.[0];
  if (dependent) {
    throw new DomainError('segment_in_use', `segment "${dependent}" refers to "${input.code}"`, 409, 'code');
  }
  await sql`
    with gone as (
      update segment_memberships set left_at = ${input.at}
      where segment_id = ${current.id} and left_at is null returning customer_id)
    insert into outbox (event_id, program_id, stream, type, payload, occurred_at)
    select gen_random_uuid(), ${input.programId}, 'customer:' || ${input.programId} || ':' || g.customer_id,
      ${segmentLeftType}, jsonb_build_object('segmentId', ${current.id}::bigint, 'segment', ${input.code}::text,
        'customerId', g.customer_id), ${input.at}::timestamptz
    from gone g`.execute(trx);
  const row = await trx
    .updateTable('segments')
    .set({ archived_at: input.at, updated_at: input.at, member_count: 0 })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'segments.archive',
    subject: `segment:${input.code}`,
    changes: { version: row.version },
    occurredAt: input.at,
  });
  return toSegment(row);
}

export async function getSegment(db: Kysely<Database>, programId: number, code: string): Promise<Segment> {
  const row = await db
    .selectFrom('segments')
    .selectAll()
    .where('program_id', '=', programId)
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row) throw new DomainError('segment_not_found', `no segment "${code}"`, 404, 'code');
  return toSegment(row);
}

export async function listSegments(
  db: Kysely<Database>,
  programId: number,
  options: { archived: boolean },
): Promise<Segment[]> {
  const rows = await db
    .selectFrom('segments')
    .selectAll()
    .where('program_id', '=', programId)
    .where('archived_at', options.archived ? 'is not' : 'is', null)
    .orderBy('code')
    .execute();
  return rows.map(toSegment);
}

export async function segmentVersions(db: Kysely<Database>, programId: number, code: string) {
  const rows = await db
    .selectFrom('segment_versions as v')
    .innerJoin('segments as s', 's.id', 'v.segment_id')
    .select(['v.version', 'v.name', 'v.description', 'v.definition', 'v.actor', 'v.created_at'])
    .where('s.program_id', '=', programId)
    .where('s.code', '=', code)
    .orderBy('v.version', 'desc')
    .execute();
  if (!rows.length) throw new DomainError('segment_not_found', `no segment "${code}"`, 404, 'code');
  return rows.map((r) => ({
    version: r.version,
    name: r.name,
    description: r.description,
    condition: storedCondition(r.definition),
    actor: r.actor,
    createdAt: r.created_at.toISOString(),
  }));
}
