import { sql, type RawBuilder } from 'kysely';

/** The SQL building blocks of the segment compiler: every value a parameter, every predicate true or false. */

export type Predicate = RawBuilder<boolean>;

export const DAY_MS = 86_400_000;
export const TRUE: Predicate = sql<boolean>`true`;

export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

export function textArray(values: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`${[...values]}::text[]`;
}

export function idArray(values: readonly number[]): RawBuilder<number[]> {
  return sql<number[]>`${[...values]}::bigint[]`;
}

/** Null (a missing answer, no rows) counts as false, so NOT and OR mean what a marketer reads. */
export function bool(expression: RawBuilder<unknown>): Predicate {
  return sql<boolean>`coalesce(${expression}, false)`;
}

type Bounds = { min?: number | string | undefined; max?: number | string | undefined };

/**
 * `value` within the bounds given. A number between two bounds is one range containment, so a
 * subquery for the value runs once (`x between a and b` would run it twice).
 */
export function between(value: RawBuilder<unknown>, range: Bounds): Predicate {
  if (typeof range.min === 'number' && typeof range.max === 'number') {
    return bool(sql`numrange(${range.min}, ${range.max}, '[]') @> (${value})::numeric`);
  }
  const parts: RawBuilder<unknown>[] = [];
  if (range.min !== undefined) parts.push(sql`${value} >= ${range.min}`);
  if (range.max !== undefined) parts.push(sql`${value} <= ${range.max}`);
  return bool(sql.join(parts, sql` and `));
}

/** A JSON value's number, or null when it is not a number. */
export function jsonNumber(value: RawBuilder<unknown>): RawBuilder<number | null> {
  return sql<number | null>`case when jsonb_typeof(${value}) = 'number' then (${value})::numeric end`;
}

/** At least / at most so many rows of `from … where …`: "at least N" alone stops at the Nth row (one: EXISTS). */
export function countPredicate(
  rows: RawBuilder<unknown>,
  range: { min?: number | undefined; max?: number | undefined },
): Predicate {
  if (range.max === undefined && range.min !== undefined) {
    if (range.min <= 0) return TRUE;
    if (range.min === 1) return sql<boolean>`exists (select 1 ${rows})`;
    return sql<boolean>`(select count(*) from (select 1 ${rows} limit ${range.min}) n) >= ${range.min}`;
  }
  return between(sql`(select count(*) ${rows})`, range);
}

/** A `having` test of an aggregate against bounds (the set shapes). */
export function havingBounds(
  aggregate: RawBuilder<unknown>,
  range: { min?: number | undefined; max?: number | undefined },
) {
  const parts: RawBuilder<unknown>[] = [];
  if (range.min !== undefined) parts.push(sql`${aggregate} >= ${range.min}`);
  if (range.max !== undefined) parts.push(sql`${aggregate} <= ${range.max}`);
  return sql.join(parts, sql` and `);
}

export function lookup(map: ReadonlyMap<string, number>, key: string, what: string): number {
  const id = map.get(key);
  if (id === undefined) throw new RangeError(`unresolved ${what} "${key}"`);
  return id;
}
