import { sql, type Kysely } from 'kysely';
import { programSettings, questionnaireOf } from '../../engine/contracts/program-settings';
import { tierLadderSchema } from '../../engine/contracts/tier-ladder';
import { segmentDefinitionSchema, type Condition } from '../../engine/segments/definition';
import {
  conditionSources,
  referencedSegments,
  type SegmentSource,
  type SegmentVocabulary,
} from '../../engine/segments/validate';
import { qualifiedTier } from '../../engine/tiers/review';
import { localDateTime } from '../../engine/time/local-date-time';
import type { Database } from '../schema';
import type { SegmentClock, SegmentReferences } from './compile';

/** What a definition may name in a program, and the ids behind the names: read in one round trip. */
export interface ProgramVocabulary {
  vocabulary: SegmentVocabulary;
  references: SegmentReferences;
  timeZone: string;
  /** What each active segment's definition reads (a refresh skips segments a change cannot move). */
  sources: ReadonlyMap<string, ReadonlySet<SegmentSource>>;
}

type Pairs = { code: string; id: number }[];

function codeMap(pairs: Pairs): Map<string, number> {
  return new Map(pairs.map((p) => [p.code, Number(p.id)]));
}

function groupedIds(pairs: Pairs): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const p of pairs) map.set(p.code, [...(map.get(p.code) ?? []), Number(p.id)]);
  return map;
}

function pairs(query: ReturnType<typeof sql>) {
  return sql<Pairs>`coalesce((select json_agg(json_build_object('code', x.code, 'id', x.id)) from (${query}) x), '[]')`;
}

/** The program's questionnaire, tiers, codes of card types, coupon issues, stores, groups, lists, event types and segments. */
export async function programVocabulary(db: Kysely<Database>, programId: number): Promise<ProgramVocabulary> {
  const row = await db
    .selectFrom('programs as p')
    .select([
      'p.settings',
      'p.time_zone',
      sql<unknown>`(select t.ladder from tier_ladders t where t.program_id = p.id)`.as('ladder'),
      sql<string | null>`(select c.code from currencies c where c.program_id = p.id and c.kind = 'points'
        order by c.id limit 1)`.as('pointsCurrency'),
      pairs(sql`select code, id from card_types where program_id = ${programId}`).as('cardTypes'),
      pairs(sql`select code, id from coupon_issues where program_id = ${programId}`).as('couponIssues'),
      pairs(
        sql`select s.code, s.id from stores s join partners pa on pa.id = s.partner_id where pa.program_id = ${programId}`,
      ).as('stores'),
      pairs(
        sql`select g.code, m.store_id as id from store_groups g join store_group_members m on m.group_id = g.id
          where g.program_id = ${programId}`,
      ).as('storeGroupStores'),
      sql<
        string[]
      >`coalesce((select array_agg(g.code) from store_groups g where g.program_id = ${programId}), '{}')`.as(
        'storeGroups',
      ),
      pairs(sql`select code, id from segment_lists where program_id = ${programId}`).as('lists'),
      sql<string[]>`coalesce((select array_agg(t.type) from customer_event_types t
        where t.program_id = ${programId} and t.status = 'active'), '{}')`.as('eventTypes'),
      sql<{ code: string; id: number; definition: unknown }[]>`coalesce((select json_agg(json_build_object(
        'code', s.code, 'id', s.id, 'definition', s.definition)) from segments s
        where s.program_id = ${programId} and s.archived_at is null), '[]')`.as('segments'),
    ])
    .where('p.id', '=', programId)
    .executeTakeFirstOrThrow();
  const settings = programSettings(row.settings);
  const ladder = row.ladder ? tierLadderSchema.parse(row.ladder) : null;
  const graph = new Map<string, string[]>();
  const sources = new Map<string, Set<SegmentSource>>();
  for (const s of row.segments) {
    const condition = storedCondition(s.definition);
    graph.set(s.code, referencedSegments(condition));
    sources.set(s.code, conditionSources(condition));
  }
  return {
    timeZone: row.time_zone,
    sources,
    vocabulary: {
      questionnaire: questionnaireOf(settings),
      tiers: ladder?.tiers.map((t) => t.code) ?? [],
      cardTypes: row.cardTypes.map((p) => p.code),
      couponIssues: row.couponIssues.map((p) => p.code),
      stores: [...new Set(row.stores.map((p) => p.code))],
      storeGroups: row.storeGroups,
      lists: row.lists.map((p) => p.code),
      eventTypes: row.eventTypes,
      segments: graph,
    },
    references: {
      programId,
      pointsCurrency: row.pointsCurrency,
      entryTier: ladder ? qualifiedTier(ladder, 0) : null,
      segments: codeMap(row.segments),
      lists: codeMap(row.lists),
      cardTypes: codeMap(row.cardTypes),
      couponIssues: codeMap(row.couponIssues),
      stores: groupedIds(row.stores),
      storeGroups: groupedIds(row.storeGroupStores),
    },
  };
}

/** The clock a definition is evaluated by: `now`, and the program's local date then. */
export function segmentClock(now: Date, timeZone: string): SegmentClock {
  return { now, today: localDateTime(now, timeZone).slice(0, 10) };
}

/** Parsed stored definitions by their JSON text: a refresh reads the same few many times a second. */
const parsed = new Map<string, Condition>();
const parsedKept = 1_000;

/** Parses a stored definition (written through the schema, so it parses). */
export function storedCondition(definition: unknown): Condition {
  const key = JSON.stringify(definition);
  const known = parsed.get(key);
  if (known) return known;
  const condition = segmentDefinitionSchema.shape.condition.parse(definition);
  if (parsed.size >= parsedKept) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, condition);
  return condition;
}
