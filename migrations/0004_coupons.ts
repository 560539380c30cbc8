import { sql, type Kysely } from 'kysely';

/** Coupon issues (code patterns, limits, texts), their coupons, and each program's till key. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The key of the offline check on coupon codes (engine/coupons/code-pattern.ts): tills fetch it.
  await db.schema
    .createTable('program_till_keys')
    .addColumn('program_id', 'bigint', (c) => c.primaryKey().references('programs.id'))
    .addColumn('till_key', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('coupon_issues')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('single_use', 'promo_code')`))
    .addColumn('pattern', 'jsonb', (c) => c.notNull())
    .addColumn('secret_key', 'bytea', (c) => c.notNull())
    .addColumn('next_index', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('max_uses_total', 'integer', (c) => c.check(sql`max_uses_total > 0`))
    .addColumn('max_uses_per_customer', 'integer', (c) => c.check(sql`max_uses_per_customer > 0`))
    .addColumn('activation_delay_seconds', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`activation_delay_seconds >= 0`),
    )
    .addColumn('lifetime_seconds', 'integer', (c) => c.check(sql`lifetime_seconds > 0`))
    .addColumn('image_url', 'text')
    .addColumn('short_description', 'text')
    .addColumn('long_description', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('coupon_issues_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('coupons')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('issue_id', 'bigint', (c) => c.notNull().references('coupon_issues.id'))
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    // byte order: codes are normalised upper-case ASCII, and bulk writes arrive sorted in this order
    .addColumn('code', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('issued')
        .check(sql`status in ('issued', 'active', 'reserved', 'redeemed', 'expired', 'cancelled')`),
    )
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activates_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('reserved_until', 'timestamptz')
    .addColumn('reserved_by', 'text')
    .addColumn('redeemed_at', 'timestamptz')
    .addColumn('uses', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`uses >= 0`),
    )
    .addUniqueConstraint('coupons_program_code', ['program_id', 'code'])
    .execute();
  await sql`create index coupons_customer on coupons (customer_id) where customer_id is not null`.execute(db);
}
