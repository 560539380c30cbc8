import { sql, type Kysely } from 'kysely';

/**
 * Store groups, the product catalogue, versioned promotion rule sets with the program's pointer to the
 * published one, and the tier ladder.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('store_groups')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('store_groups_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('store_group_members')
    .addColumn('group_id', 'bigint', (c) => c.notNull().references('store_groups.id'))
    .addColumn('store_id', 'bigint', (c) => c.notNull().references('stores.id'))
    .addPrimaryKeyConstraint('store_group_members_pk', ['group_id', 'store_id'])
    .execute();
  await sql`create index store_group_members_store on store_group_members (store_id)`.execute(db);

  await db.schema
    .createTable('products')
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('brand', 'text')
    .addColumn('supplier', 'text')
    .addColumn('no_redemption', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('products_pk', ['program_id', 'sku'])
    .execute();

  await db.schema
    .createTable('promotion_rule_sets')
    // A global id is never reused (not even by a rolled-back insert): the cache of the active set keys on it.
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('draft')
        .check(sql`status in ('draft', 'published', 'archived')`),
    )
    .addColumn('rules', 'jsonb', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addUniqueConstraint('promotion_rule_sets_program_version', ['program_id', 'version'])
    .execute();
  await sql`create unique index promotion_rule_sets_one_published on promotion_rule_sets (program_id) where status = 'published'`.execute(
    db,
  );
  await db.schema
    .alterTable('programs')
    .addColumn('active_rule_set_id', 'bigint', (c) => c.references('promotion_rule_sets.id'))
    .execute();

  await db.schema
    .createTable('tier_ladders')
    .addColumn('program_id', 'bigint', (c) => c.primaryKey().references('programs.id'))
    .addColumn('ladder', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
