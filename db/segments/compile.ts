import { sql, type RawBuilder } from 'kysely';
import { birthDateBounds, birthdayMonthDays } from '../../engine/segments/calendar';
import type {
  AnswerTest,
  Condition,
  LeafCondition,
  PropertyTest,
  PurchaseFilter,
} from '../../engine/segments/definition';

/**
 * The segment compiler: a condition tree becomes one SQL predicate over `customers c`, parameterised
 * throughout. Each condition kind has the shape PostgreSQL plans well at a million customers: plain
 * column and JSON tests on the customer row, correlated `EXISTS` or a scalar subquery over the
 * customer's own indexed rows (purchases, lines, events, lots, coupons, memberships), never an
 * aggregate over a whole table first. "At least N" counts stop at the Nth row (`limit N`). Every
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

type Predicate = RawBuilder<boolean>;

const DAY_MS = 86_400_000;
const TRUE: Predicate = sql<boolean>`true`;
const FALSE: Predicate = sql<boolean>`false`;

function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

function textArray(values: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`${[...values]}::text[]`;
}

function idArray(values: readonly number[]): RawBuilder<number[]> {
  return sql<number[]>`${[...values]}::bigint[]`;
}

function bool(expression: RawBuilder<unknown>): Predicate {
  return sql<boolean>`coalesce(${expression}, false)`;
}

function between(
  value: RawBuilder<unknown>,
  range: { min?: number | string | undefined; max?: number | string | undefined },
): Predicate {
  const parts: RawBuilder<unknown>[] = [];
  if (range.min !== undefined) parts.push(sql`${value} >= ${range.min}`);
  if (range.max !== undefined) parts.push(sql`${value} <= ${range.max}`);
  return bool(sql.join(parts, sql` and `));
}

function lookup(map: ReadonlyMap<string, number>, key: string, what: string): number {
  const id = map.get(key);
  if (id === undefined) throw new RangeError(`unresolved ${what} "${key}"`);
  return id;
}

/** A JSON value's number, or null when it is not a number. */
function jsonNumber(value: RawBuilder<unknown>): RawBuilder<number | null> {
  return sql<number | null>`case when jsonb_typeof(${value}) = 'number' then (${value})::numeric end`;
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
  const parts: RawBuilder<unknown>[] = [sql`${date} ~ '^\\d{4}-\\d{2}-\\d{2}$'`];
  if (bounds.onOrBefore) parts.push(sql`${date} <= ${bounds.onOrBefore}`);
  if (bounds.after) parts.push(sql`${date} > ${bounds.after}`);
  return bool(sql.join(parts, sql` and `));
}

function propertyPredicate(test: PropertyTest): Predicate {
  const path = sql`${`{${test.property.split('.').join(',')}}`}::text[]`;
  const value = sql`(e.attributes #> ${path})`;
  if (test.in !== undefined) return bool(sql`(e.attributes #>> ${path}) = any(${textArray(test.in)})`);
  if (test.equals !== undefined) return bool(sql`${value} = ${JSON.stringify(test.equals)}::jsonb`);
  return between(jsonNumber(value), test.range!);
}

/** At least / at most so many rows of `from … where …`: "at least N" alone stops at the Nth row. */
function countPredicate(
  rows: RawBuilder<unknown>,
  range: { min?: number | undefined; max?: number | undefined },
): Predicate {
  if (range.max === undefined && range.min !== undefined) {
    if (range.min <= 0) return TRUE;
    return sql<boolean>`(select count(*) from (select 1 ${rows} limit ${range.min}) n) >= ${range.min}`;
  }
  return between(sql`(select count(*) ${rows})`, range);
}

function storeIds(filter: PurchaseFilter, refs: SegmentReferences): number[] | null {
  if (!filter.stores && !filter.storeGroups) return null;
  const ids = new Set<number>();
  for (const code of filter.stores ?? []) for (const id of refs.stores.get(code) ?? []) ids.add(id);
  for (const code of filter.storeGroups ?? []) for (const id of refs.storeGroups.get(code) ?? []) ids.add(id);
  return [...ids];
}

function purchasesPredicate(
  c: Extract<LeafCondition, { type: 'purchases' }>,
  refs: SegmentReferences,
  clock: SegmentClock,
): Predicate {
  const since = daysBefore(clock.now, c.windowDays);
  const stores = storeIds(c.filter, refs);
  const byLine = c.filter.categories ?? c.filter.brands ?? c.filter.skus;
  if (!byLine) {
    const rows = sql`from purchases p where p.customer_id = c.id and p.occurred_at >= ${since}
      and p.occurred_at <= ${clock.now} and p.status = 'confirmed'
      ${stores ? sql`and p.store_id = any(${idArray(stores)})` : sql``}`;
    if (c.metric === 'count') return countPredicate(rows, c.range);
    return between(
      sql`(select coalesce(sum(p.qualifying_amount - least(p.returned_amount, p.qualifying_amount)), 0) ${rows})`,
      c.range,
    );
  }
  const lineTests: RawBuilder<unknown>[] = [];
  if (c.filter.categories) lineTests.push(sql`l.category && ${textArray(c.filter.categories)}`);
  if (c.filter.brands) lineTests.push(sql`l.brand = any(${textArray(c.filter.brands)})`);
  if (c.filter.skus) lineTests.push(sql`l.sku = any(${textArray(c.filter.skus)})`);
  const lines = sql`from purchase_lines l where l.customer_id = c.id and l.occurred_at >= ${since}
    and l.occurred_at <= ${clock.now} and not l.excluded and l.returned_quantity < l.quantity
    and ${sql.join(lineTests, sql` and `)}
    ${stores ? sql`and l.store_id = any(${idArray(stores)})` : sql``}
    and exists (select 1 from purchases p where p.id = l.purchase_id and p.status = 'confirmed')`;
  if (c.metric === 'count')
    return countPredicate(sql`from (select distinct l.purchase_id ${lines}) d`, c.range);
  return between(
    sql`(select coalesce(sum(l.final_amount - round(l.final_amount * l.returned_quantity / l.quantity)), 0) ${lines})`,
    c.range,
  );
}

/** The customer's points account: the master account's when pooled, else their own. */
function pointsAccount(refs: SegmentReferences): RawBuilder<number | null> {
  return sql<number | null>`(case when c.master_account_id is null
    then (select a.id from accounts a where a.customer_id = c.id and a.kind = 'points' and a.currency = ${refs.pointsCurrency})
    else (select a.id from accounts a where a.master_account_id = c.master_account_id and a.kind = 'points'
      and a.currency = ${refs.pointsCurrency}) end)`;
}

function leafPredicate(c: LeafCondition, refs: SegmentReferences, clock: SegmentClock): Predicate {
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
      const items = sql`jsonb_array_elements(case when jsonb_typeof(c.questionnaire -> ${c.group}) = 'array'
        then c.questionnaire -> ${c.group} else '[]'::jsonb end) g(item)`;
      const match = c.where.length
        ? sql.join(
            c.where.map((t) => answerPredicate(sql`g.item`, t, clock.today)),
            sql` and `,
          )
        : TRUE;
      switch (c.quantifier) {
        case 'atLeastOne':
          return sql<boolean>`exists (select 1 from ${items} where ${match})`;
        case 'none':
          return sql<boolean>`not exists (select 1 from ${items} where ${match})`;
        case 'all':
          return sql<boolean>`(exists (select 1 from ${items}) and not exists (select 1 from ${items} where not (${match})))`;
        case 'count':
          return countPredicate(sql`from ${items} where ${match}`, c.count!);
      }
      break;
    }
    case 'purchases':
      return purchasesPredicate(c, refs, clock);
    case 'lastPurchase': {
      const bought = (after: Date) => sql`exists (select 1 from purchases p where p.customer_id = c.id
        and p.status = 'confirmed' and p.occurred_at > ${after} and p.occurred_at <= ${clock.now})`;
      const parts: RawBuilder<unknown>[] = [];
      parts.push(
        c.daysAgo.max !== undefined ? bought(daysBefore(clock.now, c.daysAgo.max + 1)) : bought(new Date(0)),
      );
      if (c.daysAgo.min !== undefined && c.daysAgo.min > 0) {
        parts.push(sql`not ${bought(daysBefore(clock.now, c.daysAgo.min))}`);
      }
      return sql<boolean>`(${sql.join(parts, sql` and `)})`;
    }
    case 'event': {
      const rows = sql`from customer_events e where e.customer_id = c.id and e.type = ${c.eventType}
        and e.occurred_at >= ${daysBefore(clock.now, c.windowDays)} and e.occurred_at <= ${clock.now}
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
      if (refs.pointsCurrency === null) return between(sql`0`, c.range);
      return between(
        sql`coalesce((select a.balance from accounts a where a.id = ${pointsAccount(refs)}), 0)`,
        c.range,
      );
    case 'pointsExpiring': {
      if (refs.pointsCurrency === null) return between(sql`0`, c.range);
      const until = new Date(clock.now.getTime() + c.withinDays * DAY_MS);
      return between(
        sql`(select coalesce(sum(l.remaining), 0) from lots l where l.account_id = ${pointsAccount(refs)}
          and l.remaining > 0 and l.expires_at > ${clock.now} and l.expires_at <= ${until}
          and l.occurred_at <= ${clock.now})`,
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
        and u.status = 'redeemed' and u.redeemed_at >= ${since} and u.redeemed_at <= ${clock.now})`;
    }
    case 'segment':
      return sql<boolean>`exists (select 1 from segment_memberships m
        where m.segment_id = ${lookup(refs.segments, c.segment, 'segment')} and m.customer_id = c.id and m.left_at is null)`;
    case 'bucket':
      return sql<boolean>`((('x' || substr(md5(${c.salt} || ':' || c.id::text), 1, 8))::bit(32)::bigint % 100)
        between ${c.from} and ${c.to})`;
    case 'list':
      return sql<boolean>`exists (select 1 from segment_list_members lm
        where lm.list_id = ${lookup(refs.lists, c.list, 'static list')} and lm.customer_id = c.id)`;
  }
  return FALSE;
}

/** The predicate of a condition tree over `customers c`: true or false for every customer. */
export function conditionPredicate(
  condition: Condition,
  refs: SegmentReferences,
  clock: SegmentClock,
): Predicate {
  switch (condition.type) {
    case 'all':
      return sql<boolean>`(${sql.join(
        condition.conditions.map((c) => conditionPredicate(c, refs, clock)),
        sql` and `,
      )})`;
    case 'any':
      return sql<boolean>`(${sql.join(
        condition.conditions.map((c) => conditionPredicate(c, refs, clock)),
        sql` or `,
      )})`;
    case 'not':
      return sql<boolean>`(not ${conditionPredicate(condition.condition, refs, clock)})`;
    default:
      return leafPredicate(condition, refs, clock);
  }
}

/** The customers a segment may hold: the program's, neither gone nor merged into another. */
export function eligibleCustomers(programId: number): Predicate {
  return sql<boolean>`(c.program_id = ${programId} and c.status in ('active', 'pending'))`;
}
