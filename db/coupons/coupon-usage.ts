import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { CouponSnapshot } from '../../engine/coupons/coupon-state';
import type { CouponIssueKind, CouponStatus, Database } from '../schema';

/** A coupon with what its issue says about using it: what the lifecycle commands and reads look at. */
export interface CouponRow {
  id: number;
  code: string;
  issue_id: number;
  issue_code: string;
  kind: CouponIssueKind;
  customer_id: number | null;
  status: CouponStatus;
  activates_at: Date | null;
  expires_at: Date | null;
  reserved_by: string | null;
  reserved_until: Date | null;
  max_uses_total: number | null;
  max_uses_per_customer: number | null;
}

/** The coupons of a program, with their issue's kind and limits. */
export function selectCouponRows(
  db: Kysely<Database>,
  programId: number,
): SelectQueryBuilder<
  Database & { c: Database['coupons']; i: Database['coupon_issues'] },
  'c' | 'i',
  CouponRow
> {
  return db
    .selectFrom('coupons as c')
    .innerJoin('coupon_issues as i', 'i.id', 'c.issue_id')
    .select([
      'c.id',
      'c.code',
      'c.issue_id',
      'i.code as issue_code',
      'i.kind',
      'c.customer_id',
      'c.status',
      'c.activates_at',
      'c.expires_at',
      'c.reserved_by',
      'c.reserved_until',
      'i.max_uses_total',
      'i.max_uses_per_customer',
    ])
    .where('c.program_id', '=', programId);
}

export type IssueUsage = Map<number, { total: number; byCustomer: number }>;

const limited = (row: CouponRow) => row.max_uses_total !== null || row.max_uses_per_customer !== null;

/** Key of the all-customers row of coupon_use_counts. */
const allCustomers = 0;

/**
 * Uses of each issue that count against its limits at `at`, in all and of `customerId`: redemptions
 * (kept in coupon_use_counts) and reservations that have not expired. Only issues with a limit are
 * counted; the caller holds their limit locks (db/coupons/coupon-lifecycle.ts) when it acts on them.
 */
export async function issueUsage(
  db: Kysely<Database>,
  rows: CouponRow[],
  customerId: number | null,
  at: Date,
): Promise<IssueUsage> {
  const issueIds = [...new Set(rows.filter(limited).map((r) => r.issue_id))];
  const usage: IssueUsage = new Map(issueIds.map((id) => [id, { total: 0, byCustomer: 0 }]));
  if (issueIds.length === 0) return usage;
  const redeemed = await db
    .selectFrom('coupon_use_counts')
    .select(['issue_id', 'customer_id', 'redeemed'])
    .where('issue_id', 'in', issueIds)
    .where('customer_id', 'in', [allCustomers, customerId ?? allCustomers])
    .execute();
  for (const r of redeemed) {
    const u = usage.get(r.issue_id)!;
    if (r.customer_id === allCustomers) u.total += r.redeemed;
    else u.byCustomer += r.redeemed;
  }
  const live = await db
    .selectFrom('coupon_uses')
    .select((eb) => [
      'issue_id',
      eb.fn.countAll<string>().as('total'),
      sql<string>`count(*) filter (where customer_id = ${customerId ?? -1})`.as('by_customer'),
    ])
    .where('issue_id', 'in', issueIds)
    .where('status', '=', 'reserved')
    .where('reserved_until', '>', at)
    .groupBy('issue_id')
    .execute();
  for (const r of live) {
    const u = usage.get(r.issue_id)!;
    u.total += Number(r.total);
    u.byCustomer += Number(r.by_customer);
  }
  return usage;
}

/** Adds `delta` redemptions of a coupon of an issue with limits, in all and of the customer. */
export async function countRedemption(
  trx: Kysely<Database>,
  row: CouponRow,
  customerId: number | null,
  delta: 1 | -1,
): Promise<void> {
  if (!limited(row)) return;
  const keys = customerId === null ? [allCustomers] : [allCustomers, customerId];
  await trx
    .insertInto('coupon_use_counts')
    .values(keys.map((key) => ({ issue_id: row.issue_id, customer_id: key, redeemed: Math.max(delta, 0) })))
    .onConflict((oc) =>
      oc
        .columns(['issue_id', 'customer_id'])
        .doUpdateSet({ redeemed: sql<number>`greatest(coupon_use_counts.redeemed + ${delta}, 0)` }),
    )
    .execute();
}

/** The engine's view of a coupon row with its issue's usage. */
export function snapshotOf(row: CouponRow, usage: IssueUsage): CouponSnapshot {
  return {
    kind: row.kind,
    status: row.status,
    customerId: row.customer_id,
    activatesAt: row.activates_at,
    expiresAt: row.expires_at,
    reservedBy: row.reserved_by,
    reservedUntil: row.reserved_until,
    maxUsesTotal: row.max_uses_total,
    maxUsesPerCustomer: row.max_uses_per_customer,
    usage: usage.get(row.issue_id) ?? { total: 0, byCustomer: 0 },
  };
}
