import { sql, type RawBuilder } from 'kysely';
import { birthDateBounds, birthdayMonthDays } from '../../engine/segments/calendar';
import type { AnswerTest, Condition, LeafCondition, PropertyTest } from '../../engine/segments/definition';
import { lastPurchasePredicate, purchasesPredicate, settable } from './compile-purchases';
import {
  between,
  bool,
  countPredicate,
  DAY_MS,
  daysBefore,
  idArray,
  jsonNumber,
  lookup,
  textArray,
  type Predicate,
} from './compile-sql';

/**
 * The segment compiler: a condition tree becomes one SQL predicate over `customers c`, parameterised
 * throughout. Each condition kind has the shape PostgreSQL runs well at a million customers (measured
 * beside hand SQL in bench/segments.ts): plain column and JSON tests on the customer row; a correlated
 * `EXISTS` or scalar subquery over the customer's own indexed rows (purchases, lines, events, lots,
 * coupons, memberships), where "at least N" stops at the Nth row; and, for a purchase condition that
 * alone decides who of the program is in, one pass over its window (compile-purchases.ts). Every
 * predicate is true or false, never null, so NOT and OR mean what a marketer reads.
 */

/** The ids behind the codes a definition names, read once per compile (db/segments/references.ts). */
export interface SegmentReferences {
  programId: number;
  /** The program's points currency (balance and expiring points); null when it has none. */
  pointsCurrency: string | null;
  /** The tier a customer not placed yet holds (the ladder's lowest); null without a ladder. */
  entryTier: string | null;
  segments: ReadonlyMap<string, number>;
  lists: ReadonlyMap<string, number>;
  cardTypes: ReadonlyMap<string, number>;
  couponIssues: ReadonlyMap<string, number>;
  /** Store code → the program's stores of that code. */
  stores: ReadonlyMap<string, readonly number[]>;
  /** Store group code → its stores. */
  storeGroups: ReadonlyMap<string, readonly number[]>;
}

/** When a definition is evaluated: the instant, and the program's local date at that instant. */
export interface SegmentClock {
  now: Date;
  /** YYYY-MM-DD in the program's time zone. */
  today: string;
}

/** One answer test on a JSON document (the questionnaire, or an item of a group) with `today`. */
function answerPredicate(document: RawBuilder<unknown>, test: AnswerTest, today: string): Predicate {
  const value = sql`(${document} -> ${test.field})`;
  const text = sql<string>`(${document} ->> ${test.field})`;
  if (test.answered !== undefined) {
    const given = bool(sql`jsonb_typeof(${value}) <> 'null'`);
    return test.answered ? given : sql<boolean>`not ${given}`;
  }
  if (test.in !== undefined) {
    return bool(sql`case jsonb_typeof(${value})
      when 'array' then ${value} ?| ${textArray(test.in)}
      when 'string' then ${text} = any(${textArray(test.in)}) end`);
  }
  if (test.equals !== undefined) return bool(sql`${value} = ${JSON.stringify(test.equals)}::jsonb`);
  if (test.range !== undefined) return between(jsonNumber(value), test.range);
  if (test.age !== undefined) return birthDatePredicate(text, test.age, today);
  const { from, to } = test.dateRange!;
  return between(text, { min: from, max: to });
}

function birthDatePredicate(
  date: RawBuilder<string>,
  years: { min?: number | undefined; max?: number | undefined },
  today: string,
): Predicate {
  const bounds = birthDateBounds(today, years);
  // Stored dates are YYYY-MM-DD (checked when written): compared as text, cheapest test first.
  const parts: RawBuilder<unknown>[] = [];
  if (bounds.onOrBefore) parts.push(sql`${date} <= ${bounds.onOrBefore}`);
  if (bounds.after) parts.push(sql`${date} > ${bounds.after}`);
  parts.push(sql`length(${date}) = 10`);
  return bool(sql.join(parts, sql` and `));
}

function propertyPredicate(test: PropertyTest): Predicate {
  const path = sql`${`{${test.property.split('.').join(',')}}`}::text[]`;
  const value = sql`(e.attributes #> ${path})`;
  if (test.in !== undefined) return bool(sql`(e.attributes #>> ${path}) = any(${textArray(test.in)})`);
  if (test.equals !== undefined) return bool(sql`${value} = ${JSON.stringify(test.equals)}::jsonb`);
  return between(jsonNumber(value), test.range!);
}

/** The customer's points account: the master account's when pooled, else their own. */
function pointsAccount(refs: SegmentReferences): RawBuilder<number | null> {
  return sql<number | null>`(case when c.master_account_id is null
    then (select a.id from accounts a where a.customer_id = c.id and a.kind = 'points' and a.currency = ${refs.pointsCurrency})
    else (select a.id from accounts a where a.master_account_id = c.master_account_id and a.kind = 'points'
      and a.currency = ${refs.pointsCurrency}) end)`;
}

function leafPredicate(
  c: LeafCondition,
  refs: SegmentReferences,
  clock: SegmentClock,
  sets: ReadonlySet<Condition>,
): Predicate {
  switch (c.type) {
    case 'profile': {
      const value =
        c.field === 'registrationChannel'
          ? sql<string>`c.registration_channel`
          : sql<string>`(c.profile #>> ${`{${c.field.split('.').join(',')}}`}::text[])`;
      return c.in ? bool(sql`${value} = any(${textArray(c.in)})`) : sql<boolean>`(${value} is not null)`;
    }
    case 'age':
      return birthDatePredicate(sql<string>`(c.profile ->> 'birthDate')`, c.years, clock.today);
    case 'birthday':
      return bool(
        sql`substr(c.profile ->> 'birthDate', 6, 5) = any(${textArray(birthdayMonthDays(clock.today, c.withinDays))})`,
      );
    case 'registered': {
      const parts: RawBuilder<unknown>[] = [];
      if (c.daysAgo.min !== undefined)
        parts.push(sql`c.registered_at <= ${daysBefore(clock.now, c.daysAgo.min)}`);
      if (c.daysAgo.max !== undefined) {
        parts.push(sql`c.registered_at > ${daysBefore(clock.now, c.daysAgo.max + 1)}`);
      }
      return sql<boolean>`(${sql.join(parts, sql` and `)})`;
    }
    case 'questionnaire':
      return answerPredicate(sql`c.questionnaire`, c.test, clock.today);
    case 'questionnaireGroup': {
      const array = sql`(case when jsonb_typeof(c.questionnaire -> ${c.group}) = 'array'
        then c.questionnaire -> ${c.group} else '[]'::jsonb end)`;
      if (!c.where.length) {
        // Every item matches: the quantifier is a test of the array's length alone.
        const length = sql`jsonb_array_length(${array})`;
        if (c.quantifier === 'count') return between(length, c.count!);
        return sql<boolean>`(${length} ${c.quantifier === 'none' ? sql`= 0` : sql`> 0`})`;
      }
      const items = sql`jsonb_array_elements(${array}) g(item)`;
      const match = sql.join(
        c.where.map((t) => answerPredicate(sql`g.item`, t, clock.today)),
        sql` and `,
      );
      switch (c.quantifier) {
        case 'atLeastOne':
          return sql<boolean>`exists (select 1 from ${items} where ${match})`;
        case 'none':
          return sql<boolean>`not exists (select 1 from ${items} where ${match})`;
        case 'all':
          return sql<boolean>`(jsonb_array_length(${array}) > 0 and not exists (select 1 from ${items} where not (${match})))`;
        default:
          return countPredicate(sql`from ${items} where ${match}`, c.count!);
      }
    }
    case 'purchases':
      return purchasesPredicate(c, refs, clock, sets.has(c) ? 'set' : 'probe');
    case 'lastPurchase':
      return lastPurchasePredicate(c, clock);
    case 'event': {
      const rows = sql`from customer_events e where e.customer_id = c.id and e.type = ${c.eventType}
        and e.occurred_at >= ${daysBefore(clock.now, c.windowDays)}
        ${c.where.length ? sql`and ${sql.join(c.where.map(propertyPredicate), sql` and `)}` : sql``}`;
      return countPredicate(rows, c.count);
    }
    case 'tier':
      return bool(sql`coalesce(c.tier, ${refs.entryTier}) = any(${textArray(c.tiers)})`);
    case 'cardType': {
      const ids = c.cardTypes.map((code) => lookup(refs.cardTypes, code, 'card type'));
      return sql<boolean>`exists (select 1 from cards k where k.customer_id = c.id and k.status = 'active'
        and k.card_type_id = any(${idArray(ids)}))`;
    }
    case 'balance':
      if (refs.pointsCurrency === null) return between(sql`0::bigint`, c.range);
      return between(
        sql`coalesce((select a.balance from accounts a where a.id = ${pointsAccount(refs)}), 0)`,
        c.range,
      );
    case 'pointsExpiring': {
      if (refs.pointsCurrency === null) return between(sql`0::bigint`, c.range);
      const until = new Date(clock.now.getTime() + c.withinDays * DAY_MS);
      return between(
        sql`(select coalesce(sum(l.remaining), 0) from lots l where l.account_id = ${pointsAccount(refs)}
          and l.remaining > 0 and l.expires_at > ${clock.now} and l.expires_at <= ${until})`,
        c.range,
      );
    }
    case 'coupon': {
      const issue = lookup(refs.couponIssues, c.issue, 'coupon issue');
      if (c.state === 'held') {
        return sql<boolean>`exists (select 1 from coupons k where k.customer_id = c.id and k.issue_id = ${issue}
          and k.status in ('issued', 'active', 'reserved') and (k.expires_at is null or k.expires_at > ${clock.now}))`;
      }
      const since = c.windowDays !== undefined ? daysBefore(clock.now, c.windowDays) : new Date(0);
      return sql<boolean>`exists (select 1 from coupon_uses u where u.customer_id = c.id and u.issue_id = ${issue}
        and u.status = 'redeemed' and u.redeemed_at >= ${since})`;
    }
    case 'segment':
      return sql<boolean>`exists (select 1 from segment_memberships m
        where m.segment_id = ${lookup(refs.segments, c.segment, 'segment')} and m.customer_id = c.id and m.left_at is null)`;
    case 'bucket':
      return sql<boolean>`(int4range(${c.from}, ${c.to}, '[]')
        @> (('x' || substr(md5(${c.salt} || ':' || c.id::text), 1, 8))::bit(32)::bigint % 100)::int)`;
    case 'list':
      return sql<boolean>`exists (select 1 from segment_list_members lm
        where lm.list_id = ${lookup(refs.lists, c.list, 'static list')} and lm.customer_id = c.id)`;
  }
}

/** Leaves that narrow the program on the customer's own row (or a small indexed set of them). */
const narrowing: ReadonlySet<Condition['type']> = new Set([
  'profile',
  'age',
  'birthday',
  'registered',
  'questionnaire',
  'questionnaireGroup',
  'tier',
  'cardType',
  'segment',
  'list',
  'bucket',
]);

/**
 * The purchase conditions to evaluate as sets: over the whole program, those that alone (with other
 * such conditions, under the root's AND) decide who is in. Beside a narrowing condition a probe per
 * remaining customer wins; for a few customers (a refresh, an explanation) probes always win.
 */
function setShaped(condition: Condition, audience: Audience): Set<Condition> {
  if (audience === 'customers') return new Set();
  const conjuncts = condition.type === 'all' ? condition.conditions : [condition];
  if (conjuncts.some((c) => narrowing.has(c.type))) return new Set();
  return new Set(conjuncts.filter((c) => c.type === 'purchases' && settable(c)));
}

function predicate(
  condition: Condition,
  refs: SegmentReferences,
  clock: SegmentClock,
  sets: ReadonlySet<Condition>,
): Predicate {
  switch (condition.type) {
    case 'all':
      return sql<boolean>`(${sql.join(
        condition.conditions.map((c) => predicate(c, refs, clock, sets)),
        sql` and `,
      )})`;
    case 'any':
      return sql<boolean>`(${sql.join(
        condition.conditions.map((c) => predicate(c, refs, clock, sets)),
        sql` or `,
      )})`;
    case 'not':
      return sql<boolean>`(not ${predicate(condition.condition, refs, clock, sets)})`;
    default:
      return leafPredicate(condition, refs, clock, sets);
  }
}

/**
 * Whom a predicate is evaluated for: the whole program (a count, a sample, a full recompute), or a
 * few customers named beside it (a refresh, an explanation). The shapes differ (see setShaped).
 */
export type Audience = 'program' | 'customers';

/** The predicate of a condition tree over `customers c`: true or false for every customer. */
export function conditionPredicate(
  condition: Condition,
  refs: SegmentReferences,
  clock: SegmentClock,
  audience: Audience = 'program',
): Predicate {
  return predicate(condition, refs, clock, setShaped(condition, audience));
}

/** The customers a segment may hold: the program's, neither gone nor merged into another. */
export function eligibleCustomers(programId: number): Predicate {
  return sql<boolean>`(c.program_id = ${programId} and c.status in ('active', 'pending'))`;
}
