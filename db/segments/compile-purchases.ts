import { sql, type RawBuilder } from 'kysely';
import type { LeafCondition, PurchaseFilter } from '../../engine/segments/definition';
import type { SegmentClock, SegmentReferences } from './compile';
import {
  between,
  bool,
  countPredicate,
  daysBefore,
  havingBounds,
  idArray,
  textArray,
  type Predicate,
} from './compile-sql';

/**
 * Windows reach back N × 24 hours from the evaluation's instant and have no upper bound: a purchase
 * recorded with a business time a few minutes ahead counts at once (the refresh that its commit
 * queued would otherwise miss it for good).
 *
 * Purchase conditions in two shapes. The probe reads one customer's purchases (or lines) in the
 * window through the covering index on (customer_id, occurred_at): the shape for a few customers and
 * for a condition beside narrower ones. The set aggregates the window once and keeps the customers
 * whose totals pass (`c.id in (… group by … having …)`): the shape when the condition alone decides
 * who of the whole program is in, where a million probes would lose to one pass over the window.
 */

type Purchases = Extract<LeafCondition, { type: 'purchases' }>;

const net = sql`p.qualifying_amount - least(p.returned_amount, p.qualifying_amount)`;
const lineNet = sql`l.final_amount - round(l.final_amount * l.returned_quantity::numeric / l.quantity)`;

function storeIds(filter: PurchaseFilter, refs: SegmentReferences): number[] | null {
  if (!filter.stores && !filter.storeGroups) return null;
  const ids = new Set<number>();
  for (const code of filter.stores ?? []) for (const id of refs.stores.get(code) ?? []) ids.add(id);
  for (const code of filter.storeGroups ?? []) for (const id of refs.storeGroups.get(code) ?? []) ids.add(id);
  return [...ids];
}

/** Whether a purchase condition may take the set shape: only customers with purchases can pass it. */
export function settable(c: Purchases): boolean {
  return c.range.min !== undefined && c.range.min > 0;
}

function lineTests(c: Purchases): RawBuilder<unknown> | null {
  const tests: RawBuilder<unknown>[] = [];
  if (c.filter.categories) tests.push(sql`l.category && ${textArray(c.filter.categories)}`);
  if (c.filter.brands) tests.push(sql`l.brand = any(${textArray(c.filter.brands)})`);
  if (c.filter.skus) tests.push(sql`l.sku = any(${textArray(c.filter.skus)})`);
  return tests.length ? sql.join(tests, sql` and `) : null;
}

export function purchasesPredicate(
  c: Purchases,
  refs: SegmentReferences,
  clock: SegmentClock,
  shape: 'probe' | 'set',
): Predicate {
  const since = daysBefore(clock.now, c.windowDays);
  const stores = storeIds(c.filter, refs);
  const tests = lineTests(c);
  if (!tests) {
    const window = sql`p.occurred_at >= ${since} and p.status = 'confirmed'
      ${stores ? sql`and p.store_id = any(${idArray(stores)})` : sql``}`;
    const total = c.metric === 'count' ? sql`count(*)` : sql`sum(${net})`;
    if (shape === 'set') {
      return sql<boolean>`c.id in (select p.customer_id from purchases p where p.program_id = ${refs.programId}
        and p.customer_id is not null and ${window} group by p.customer_id having ${havingBounds(total, c.range)})`;
    }
    const rows = sql`from purchases p where p.customer_id = c.id and ${window}`;
    if (c.metric === 'count') return countPredicate(rows, c.range);
    return between(sql`(select coalesce(sum(${net}), 0) ${rows})`, c.range);
  }
  const window = sql`l.occurred_at >= ${since} and not l.excluded
    and l.returned_quantity < l.quantity and ${tests}
    ${stores ? sql`and l.store_id = any(${idArray(stores)})` : sql``}
    and exists (select 1 from purchases p where p.id = l.purchase_id and p.status = 'confirmed')`;
  const total = c.metric === 'count' ? sql`count(distinct l.purchase_id)` : sql`sum(${lineNet})`;
  if (shape === 'set') {
    return sql<boolean>`c.id in (select l.customer_id from purchase_lines l where l.customer_id is not null
      and ${window} group by l.customer_id having ${havingBounds(total, c.range)})`;
  }
  const lines = sql`from purchase_lines l where l.customer_id = c.id and ${window}`;
  if (c.metric === 'count')
    return countPredicate(sql`from (select distinct l.purchase_id ${lines}) d`, c.range);
  return between(sql`(select coalesce(sum(${lineNet}), 0) ${lines})`, c.range);
}

/**
 * Days since the last confirmed purchase: one backward probe of the customer's index for the latest
 * purchase, tested against both bounds at once. A customer who never bought does not match.
 */
export function lastPurchasePredicate(
  c: Extract<LeafCondition, { type: 'lastPurchase' }>,
  clock: SegmentClock,
): Predicate {
  const after = c.daysAgo.max !== undefined ? daysBefore(clock.now, c.daysAgo.max + 1) : null;
  // A purchase dated a little ahead (the business-time window allows minutes) is a purchase today.
  const upTo = c.daysAgo.min ? daysBefore(clock.now, c.daysAgo.min) : null;
  return bool(sql`tstzrange(${after}::timestamptz, ${upTo}::timestamptz, '(]') @> (select max(p.occurred_at)
    from purchases p where p.customer_id = c.id and p.status = 'confirmed')`);
}
