import type { Kysely } from 'kysely';
import { codePatternSchema, formatCode, normalizeCode } from '../../engine/coupons/code-pattern';
import type { CouponLookup, CustomerCoupon } from '../../engine/coupons/coupon-contracts';
import { couponState } from '../../engine/coupons/coupon-state';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';
import { issueUsage, selectCouponRows, snapshotOf, type CouponRow } from './coupon-usage';

/** What cabinets, apps and tills read about coupons: a customer's coupons and one code. */

function readRows(db: Kysely<Database>, programId: number) {
  return selectCouponRows(db, programId).select([
    'c.issued_at',
    'c.uses',
    'c.imported',
    'i.name as issue_name',
    'i.pattern',
    'i.image_url',
    'i.short_description',
    'i.long_description',
  ]);
}

type ReadRow = CouponRow & Awaited<ReturnType<ReturnType<typeof readRows>['executeTakeFirstOrThrow']>>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toCustomerCoupon(row: ReadRow, verdict: ReturnType<typeof couponState>): CustomerCoupon {
  return {
    code: row.code,
    display: formatCode(row.code, codePatternSchema.parse(row.pattern)),
    status: row.status,
    issuedAt: row.issued_at.toISOString(),
    activatesAt: iso(row.activates_at),
    expiresAt: iso(row.expires_at),
    issue: {
      code: row.issue_code,
      name: row.issue_name,
      kind: row.kind,
      imageUrl: row.image_url,
      shortDescription: row.short_description,
      longDescription: row.long_description,
    },
    usable: verdict.ok,
    ...(verdict.ok ? {} : { reason: verdict.reason }),
  };
}

/**
 * The coupons issued to a customer with their issue's texts and whether each is usable at `at`,
 * newest first (at most `limit`).
 */
export async function listCustomerCoupons(
  db: Kysely<Database>,
  input: { programId: number; customerId: number; at: Date; limit?: number },
): Promise<CustomerCoupon[]> {
  const rows = await readRows(db, input.programId)
    .where('c.customer_id', '=', input.customerId)
    .orderBy('c.issued_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(input.limit ?? 500)
    .execute();
  const usage = await issueUsage(db, rows, input.customerId, input.at);
  return rows.map((row) =>
    toCustomerCoupon(
      row,
      couponState(snapshotOf(row, usage), { at: input.at, customerId: input.customerId }),
    ),
  );
}

/**
 * One code: its state, issue and validity at `at`, seen as its own customer's (per-customer limits
 * are left to the purchase that names a customer). Unknown codes are a 404 naming `code`.
 */
export async function lookupCoupon(
  db: Kysely<Database>,
  input: { programId: number; code: string; at: Date },
): Promise<CouponLookup> {
  const code = normalizeCode(input.code);
  const row = await readRows(db, input.programId).where('c.code', '=', code).executeTakeFirst();
  if (!row) throw new DomainError('coupon_unknown', `no coupon ${code}`, 404, 'code');
  const usage = await issueUsage(db, [row], row.customer_id, input.at);
  const snapshot = snapshotOf(row, usage);
  if (row.customer_id === null) snapshot.maxUsesPerCustomer = null;
  const coupon = toCustomerCoupon(row, couponState(snapshot, { at: input.at, customerId: row.customer_id }));
  return {
    ...coupon,
    uses: row.uses,
    imported: row.imported,
    customerId: row.customer_id,
    reservedUntil: row.status === 'reserved' ? iso(row.reserved_until) : null,
    issue: {
      ...coupon.issue,
      maxUsesTotal: row.max_uses_total,
      maxUsesPerCustomer: row.max_uses_per_customer,
    },
  };
}
