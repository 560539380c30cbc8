import { sql, type Kysely } from 'kysely';

/**
 * The life of coupons at the till: each use of a coupon by a purchase (reserved, redeemed, released,
 * restored), the change order tills follow for codes without an offline check, and which purchase
 * issued a coupon.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('coupons')
    // The transaction (pg_current_xact_id) that last changed the coupon's validity: imported, redeemed,
    // restored. Tills follow changes by (changed_xid, id), reading only transactions older than every
    // running one, so a change that commits late is never skipped. Generated codes start without it:
    // tills check those offline.
    .addColumn('changed_xid', 'bigint')
    .addColumn('imported', 'boolean', (c) => c.notNull().defaultTo(false))
    // The purchase (holder reference) whose promotion issued the coupon at confirm.
    .addColumn('issued_by', 'text')
    .execute();
  await sql`create index coupons_changes on coupons (program_id, changed_xid, id)
    where changed_xid is not null`.execute(db);
  await sql`create index coupons_issued_by on coupons (program_id, issued_by, issue_id)
    where issued_by is not null`.execute(db);

  await db.schema
    .createTable('coupon_uses')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('coupon_id', 'bigint', (c) => c.notNull().references('coupons.id'))
    .addColumn('issue_id', 'bigint', (c) => c.notNull().references('coupon_issues.id'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    // Who uses the coupon: a purchase reference.
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('reserved', 'redeemed', 'released', 'restored')`),
    )
    .addColumn('reserved_until', 'timestamptz')
    .addColumn('redeemed_at', 'timestamptz')
    // Business time of the last change.
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('coupon_uses_coupon_holder', ['coupon_id', 'holder'])
    .execute();
  // Live reservations count against limits; an expired one stays `reserved` but leaves the range.
  await sql`create index coupon_uses_live on coupon_uses (issue_id, reserved_until)
    where status = 'reserved'`.execute(db);
  await sql`create index coupon_uses_holder on coupon_uses (program_id, holder)`.execute(db);

  // Redemptions of issues with limits, in all (customer_id 0) and per customer: what the limits
  // compare with, without counting every use. Written only under the limit lock.
  await db.schema
    .createTable('coupon_use_counts')
    .addColumn('issue_id', 'bigint', (c) => c.notNull().references('coupon_issues.id'))
    .addColumn('customer_id', 'bigint', (c) => c.notNull())
    .addColumn('redeemed', 'integer', (c) => c.notNull().check(sql`redeemed >= 0`))
    .addPrimaryKeyConstraint('coupon_use_counts_pk', ['issue_id', 'customer_id'])
    .execute();
}
