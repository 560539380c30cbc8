import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { CounterSpec, Period } from '../../engine/pricing/counters';
import type { LineFilter } from '../../engine/pricing/line-filter';
import type { Database } from '../schema';

/**
 * Computes the purchase-history counters a rule set reads (engine/pricing/history.ts) for one customer
 * as of the check's business time, from confirmed purchases before it, net of returns. Calendar
 * periods start in the store's time zone.
 */
export async function purchaseCounters(
  db: Kysely<Database>,
  input: {
    programId: number;
    customerId: number;
    at: Date;
    timeZone: string;
    specs: ReadonlyMap<string, CounterSpec>;
  },
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [key, spec] of input.specs) {
    const value = await counter(db, input, spec);
    if (value !== null) out[key] = value;
  }
  return out;
}

const periodStart = (period: Period | undefined, at: Date, timeZone: string) => {
  if (!period) return null;
  if ('lastDays' in period) return sql<Date>`${at}::timestamptz - make_interval(days => ${period.lastDays})`;
  return sql<Date>`date_trunc(${period.calendar}, ${at}::timestamptz at time zone ${timeZone}) at time zone ${timeZone}`;
};

/** The purchases a counter counts: the customer's confirmed ones before `at`, in the period and stores. */
function scope(
  input: { programId: number; customerId: number; at: Date; timeZone: string },
  spec: CounterSpec,
  table: 'purchases' | 'purchase_lines',
): Expression<SqlBool>[] {
  const t = sql.table(table);
  const where: Expression<SqlBool>[] = [
    sql<SqlBool>`${t}.customer_id = ${input.customerId}`,
    sql<SqlBool>`${t}.occurred_at < ${input.at}`,
  ];
  const start = periodStart(spec.period, input.at, input.timeZone);
  if (start) where.push(sql<SqlBool>`${t}.occurred_at >= ${start}`);
  if (spec.storeIds) {
    where.push(sql<SqlBool>`${t}.store_id in (select s.id from stores s join partners pa on pa.id = s.partner_id
      where pa.program_id = ${input.programId} and s.code = any(${spec.storeIds}))`);
  }
  if (spec.storeGroupIds) {
    where.push(sql<SqlBool>`${t}.store_id in (select m.store_id from store_group_members m
      join store_groups g on g.id = m.group_id
      where g.program_id = ${input.programId} and g.code = any(${spec.storeGroupIds}))`);
  }
  return where;
}

function lineMatches(filter: LineFilter): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [sql<SqlBool>`not purchase_lines.excluded`];
  if (filter.skus) where.push(sql<SqlBool>`purchase_lines.sku = any(${filter.skus})`);
  if (filter.excludeSkus) where.push(sql<SqlBool>`not (purchase_lines.sku = any(${filter.excludeSkus}))`);
  if (filter.categories) {
    where.push(
      sql<SqlBool>`(${sql.join(
        filter.categories.map(
          (path) => sql`purchase_lines.category[1:${path.length}] = ${sql.val(path)}::text[]`,
        ),
        sql` or `,
      )})`,
    );
  }
  if (filter.brands) where.push(sql<SqlBool>`purchase_lines.brand = any(${filter.brands})`);
  if (filter.suppliers) where.push(sql<SqlBool>`purchase_lines.supplier = any(${filter.suppliers})`);
  if (filter.minUnitPrice !== undefined)
    where.push(sql<SqlBool>`purchase_lines.unit_price >= ${filter.minUnitPrice}`);
  if (filter.maxUnitPrice !== undefined)
    where.push(sql<SqlBool>`purchase_lines.unit_price <= ${filter.maxUnitPrice}`);
  return where;
}

const all = (parts: Expression<SqlBool>[]) => sql.join(parts, sql` and `);

async function counter(
  db: Kysely<Database>,
  input: { programId: number; customerId: number; at: Date; timeZone: string },
  spec: CounterSpec,
): Promise<number | null> {
  const confirmed = sql<SqlBool>`purchases.status = 'confirmed'`;
  switch (spec.kind) {
    case 'purchaseCount':
    case 'purchaseAmount': {
      const value =
        spec.kind === 'purchaseCount'
          ? sql<string>`count(*)`
          : sql<string>`coalesce(sum(qualifying_amount - returned_amount), 0)`;
      const { rows } = await sql<{ value: string }>`select ${value} as value from purchases
        where ${all([confirmed, ...scope(input, spec, 'purchases')])}`.execute(db);
      return Number(rows[0]!.value);
    }
    case 'goodsQuantity': {
      const { rows } = await sql<{
        value: string;
      }>`select coalesce(sum(purchase_lines.quantity - purchase_lines.returned_quantity), 0) as value
        from purchase_lines join purchases on purchases.id = purchase_lines.purchase_id
        where ${all([confirmed, ...scope(input, spec, 'purchase_lines'), ...lineMatches(spec.filter)])}`.execute(
        db,
      );
      return Number(rows[0]!.value);
    }
    case 'amountReachedAt': {
      const { rows } = await sql<{ at: Date }>`select occurred_at as at from (
          select occurred_at, sum(qualifying_amount - returned_amount) over (order by occurred_at, id) as running
          from purchases where ${all([confirmed, ...scope(input, spec, 'purchases')])}
        ) t where running >= ${spec.amount} order by occurred_at limit 1`.execute(db);
      return rows[0] ? Math.floor(new Date(rows[0].at).getTime() / 1000) : null;
    }
  }
}
