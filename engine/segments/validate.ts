import type { GroupField, LeafField, QuestionnaireDefinition } from '../customers/questionnaire';
import { walk, type AnswerTest, type Condition } from './definition';

/** What a program has for a definition to refer to: every code a condition names must be here. */
export interface SegmentVocabulary {
  questionnaire: QuestionnaireDefinition;
  tiers: readonly string[];
  cardTypes: readonly string[];
  couponIssues: readonly string[];
  stores: readonly string[];
  storeGroups: readonly string[];
  lists: readonly string[];
  /** Registered event types; an event condition of another type is refused. */
  eventTypes: readonly string[];
  /** Every other segment of the program with the segments its current definition refers to. */
  segments: ReadonlyMap<string, readonly string[]>;
}

export interface DefinitionIssue {
  /** Where in the definition, e.g. `condition.conditions.1.test.field`. */
  field: string;
  message: string;
}

/** Which field types each answer test suits. */
const suits: Record<Exclude<keyof AnswerTest, 'field'>, readonly LeafField['type'][]> = {
  answered: ['text', 'number', 'date', 'choice', 'multi_choice', 'boolean', 'email'],
  in: ['text', 'choice', 'multi_choice', 'email'],
  equals: ['boolean'],
  range: ['number'],
  age: ['date'],
  dateRange: ['date'],
};

function testIssues(
  test: AnswerTest,
  fields: readonly LeafField[],
  at: string,
  where: string,
): DefinitionIssue[] {
  const field = fields.find((f) => f.key === test.field);
  if (!field) return [{ field: `${at}.field`, message: `${where} has no field "${test.field}"` }];
  const kind = (Object.keys(suits) as (keyof typeof suits)[]).find((k) => test[k] !== undefined)!;
  if (!suits[kind].includes(field.type)) {
    return [{ field: `${at}.${kind}`, message: `a ${field.type} field takes no "${kind}" test` }];
  }
  if (kind === 'in' && field.options) {
    const known = new Set(field.options.map((o) => o.value));
    const unknown = test.in!.find((v) => !known.has(v));
    if (unknown !== undefined) {
      return [{ field: `${at}.in`, message: `"${unknown}" is not an option of "${field.key}"` }];
    }
  }
  return [];
}

function questionnaireIssues(c: Condition, q: QuestionnaireDefinition, at: string): DefinitionIssue[] {
  if (c.type === 'questionnaire') {
    const group = q.fields.find((f) => f.key === c.test.field && f.type === 'group');
    if (group) {
      return [
        {
          field: `${at}.test.field`,
          message: `"${c.test.field}" is a group: use a questionnaireGroup condition`,
        },
      ];
    }
    const leaves = q.fields.filter((f): f is LeafField => f.type !== 'group');
    return testIssues(c.test, leaves, `${at}.test`, 'the questionnaire');
  }
  if (c.type === 'questionnaireGroup') {
    const group = q.fields.find((f): f is GroupField => f.key === c.group && f.type === 'group');
    if (!group) return [{ field: `${at}.group`, message: `the questionnaire has no group "${c.group}"` }];
    return c.where.flatMap((t, i) => testIssues(t, group.fields, `${at}.where.${i}`, `group "${c.group}"`));
  }
  return [];
}

function known(
  list: readonly string[],
  values: readonly string[],
  at: string,
  what: string,
): DefinitionIssue[] {
  const set = new Set(list);
  const unknown = values.findIndex((v) => !set.has(v));
  return unknown < 0 ? [] : [{ field: `${at}.${unknown}`, message: `no ${what} "${values[unknown]}"` }];
}

function referenceIssues(c: Condition, v: SegmentVocabulary, at: string): DefinitionIssue[] {
  switch (c.type) {
    case 'tier':
      return known(v.tiers, c.tiers, `${at}.tiers`, 'tier');
    case 'cardType':
      return known(v.cardTypes, c.cardTypes, `${at}.cardTypes`, 'card type');
    case 'coupon':
      return v.couponIssues.includes(c.issue)
        ? []
        : [{ field: `${at}.issue`, message: `no coupon issue "${c.issue}"` }];
    case 'list':
      return v.lists.includes(c.list) ? [] : [{ field: `${at}.list`, message: `no static list "${c.list}"` }];
    case 'event':
      return v.eventTypes.includes(c.eventType)
        ? []
        : [{ field: `${at}.eventType`, message: `no registered event type "${c.eventType}"` }];
    case 'purchases':
      return [
        ...(c.filter.stores ? known(v.stores, c.filter.stores, `${at}.filter.stores`, 'store') : []),
        ...(c.filter.storeGroups
          ? known(v.storeGroups, c.filter.storeGroups, `${at}.filter.storeGroups`, 'store group')
          : []),
      ];
    default:
      return [];
  }
}

/** The path of segment codes from `from` back to `to` through `segment` conditions, if there is one. */
function cycleThrough(
  from: string,
  to: string,
  graph: ReadonlyMap<string, readonly string[]>,
  seen = new Set<string>(),
): string[] | null {
  if (from === to) return [to];
  if (seen.has(from)) return null;
  seen.add(from);
  for (const next of graph.get(from) ?? []) {
    const path = cycleThrough(next, to, graph, seen);
    if (path) return [from, ...path];
  }
  return null;
}

/** The segment codes a definition's conditions refer to. */
export function referencedSegments(condition: Condition): string[] {
  const codes: string[] = [];
  for (const { condition: c } of walk(condition)) if (c.type === 'segment') codes.push(c.segment);
  return [...new Set(codes)];
}

/**
 * Every issue of a definition (parsed by the schema already) against a program: unknown questionnaire
 * fields or tests that do not suit their type, unknown codes, and a cycle through `segment`
 * conditions (a segment of `code` may not depend on itself, directly or through others).
 */
export function definitionIssues(
  code: string,
  condition: Condition,
  v: SegmentVocabulary,
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  for (const { condition: c, path } of walk(condition)) {
    const at = path.join('.');
    issues.push(...questionnaireIssues(c, v.questionnaire, at), ...referenceIssues(c, v, at));
    if (c.type !== 'segment') continue;
    if (c.segment === code) {
      issues.push({ field: `${at}.segment`, message: `segment "${code}" cannot refer to itself` });
    } else if (!v.segments.has(c.segment)) {
      issues.push({ field: `${at}.segment`, message: `no segment "${c.segment}"` });
    } else {
      const cycle = cycleThrough(c.segment, code, v.segments);
      if (cycle) {
        issues.push({ field: `${at}.segment`, message: `a cycle: ${[code, ...cycle].join(' → ')}` });
      }
    }
  }
  return issues;
}

/**
 * Segment codes in levels: each segment's level comes after the levels of the segments it refers to
 * (codes sorted within a level), so evaluating level by level sees the memberships a `segment`
 * condition reads already brought up to date. References outside the graph (archived, unknown) and
 * cycles (refused when stored) do not raise a level.
 */
export function dependencyLevels(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const level = new Map<string, number>();
  const visit = (code: string, path: Set<string>): number => {
    const known = level.get(code);
    if (known !== undefined) return known;
    if (path.has(code)) return 0;
    path.add(code);
    const deps = (graph.get(code) ?? []).filter((d) => graph.has(d));
    const own = deps.length ? 1 + Math.max(...deps.map((d) => visit(d, path))) : 0;
    path.delete(code);
    level.set(code, own);
    return own;
  };
  for (const code of graph.keys()) visit(code, new Set());
  const levels: string[][] = [];
  for (const [code, l] of level) (levels[l] ??= []).push(code);
  return levels.map((codes) => codes.sort());
}

/** What a segment's conditions read, so a change elsewhere need not re-evaluate it. */
export type SegmentSource = 'customer' | 'purchases' | 'events' | 'points' | 'coupons' | 'cards' | 'lists';

const sourceOf: Partial<Record<Condition['type'], SegmentSource>> = {
  profile: 'customer',
  age: 'customer',
  birthday: 'customer',
  registered: 'customer',
  questionnaire: 'customer',
  questionnaireGroup: 'customer',
  tier: 'customer',
  purchases: 'purchases',
  lastPurchase: 'purchases',
  event: 'events',
  balance: 'points',
  pointsExpiring: 'points',
  coupon: 'coupons',
  cardType: 'cards',
  list: 'lists',
};

/**
 * The sources a condition reads (a `segment` condition reads another segment's membership, which
 * dependency levels handle; a bucket reads only the customer's id, which never changes).
 */
export function conditionSources(condition: Condition): Set<SegmentSource> {
  const sources = new Set<SegmentSource>();
  for (const { condition: c } of walk(condition)) {
    const source = sourceOf[c.type];
    if (source) sources.add(source);
  }
  return sources;
}
