import { sql, type Kysely } from 'kysely';

/**
 * Purchases at the till with their stored per-unit breakdown, the lines the purchase-history counters
 * read, item-level returns, per-promotion usage for budgets and limits, and the customer's tier.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('customers')
    .addColumn('tier', 'text')
    .addColumn('tier_since', 'timestamptz')
    .execute();

  await db.schema
    .createTable('purchases')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('store_id', 'bigint', (c) => c.notNull().references('stores.id'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    // The points account used (a master account's when the customer pools); null for anonymous checks.
    .addColumn('account_id', 'bigint', (c) => c.references('accounts.id'))
    // The till's own id of the check: one purchase per store and ref.
    .addColumn('external_ref', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('confirmed')
        .check(sql`status in ('confirmed', 'cancelled')`),
    )
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('local_date_time', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('discount', 'bigint', (c) => c.notNull())
    .addColumn('final_amount', 'bigint', (c) => c.notNull())
    .addColumn('returned_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points_spent', 'bigint', (c) => c.notNull())
    .addColumn('points_earned', 'bigint', (c) => c.notNull())
    .addColumn('rule_set_version', 'integer')
    .addColumn('offline', 'boolean', (c) => c.notNull().defaultTo(false))
    // The check as evaluated (lines filled from the catalogue) and the engine's per-unit result.
    .addColumn('check', 'jsonb', (c) => c.notNull())
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .addColumn('payments', 'jsonb', (c) => c.notNull())
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('cancel_recorded_at', 'timestamptz')
    .addUniqueConstraint('purchases_store_ref', ['store_id', 'external_ref'])
    .execute();
  await sql`create index purchases_customer_time on purchases (customer_id, occurred_at) where customer_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('purchase_lines')
    .addColumn('purchase_id', 'bigint', (c) => c.notNull().references('purchases.id'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('store_id', 'bigint', (c) => c.notNull().references('stores.id'))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('category', sql`text[]`, (c) => c.notNull())
    .addColumn('brand', 'text')
    .addColumn('supplier', 'text')
    .addColumn('unit_price', 'bigint', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('weighted', 'boolean', (c) => c.notNull())
    .addColumn('final_amount', 'bigint', (c) => c.notNull())
    // Pieces (grams for weighted goods) returned so far; a cancelled purchase counts as all returned.
    .addColumn('returned_quantity', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('purchase_lines_pk', ['purchase_id', 'line'])
    .execute();
  await sql`create index purchase_lines_customer_time on purchase_lines (customer_id, occurred_at) where customer_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('purchase_returns')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('purchase_id', 'bigint', (c) => c.notNull().references('purchases.id'))
    .addColumn('return_ref', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // [{ line, units: [unit positions] }] and what was reversed (engine/pricing/returns.ts).
    .addColumn('units', 'jsonb', (c) => c.notNull())
    .addColumn('reversal', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('purchase_returns_ref', ['purchase_id', 'return_ref'])
    .execute();

  // Per rule: totals over all customers (customer_id 0) and per customer, for budgets and limits.
  await db.schema
    .createTable('promotion_usage')
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.notNull())
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('discount', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('first_used_at', 'timestamptz')
    .addPrimaryKeyConstraint('promotion_usage_pk', ['program_id', 'rule_id', 'customer_id'])
    .execute();
}
