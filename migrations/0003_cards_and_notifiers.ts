import { sql, type Kysely } from 'kysely';

/** Card number templates and pools, one-time codes for notifiers, deferred-activation tokens. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('card_templates')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('card_type_id', 'bigint', (c) => c.notNull().references('card_types.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('luhn', 'boolean', (c) => c.notNull())
    .addColumn('secret_key', 'bytea', (c) => c.notNull())
    .addColumn('next_index', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('card_templates_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('card_pools')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('template_id', 'bigint', (c) => c.notNull().references('card_templates.id'))
    .addColumn('start_index', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('virtual', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('card_status_history')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('card_id', 'bigint', (c) => c.notNull().references('cards.id'))
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index card_status_history_card on card_status_history (card_id, id)`.execute(db);

  await db.schema
    .createTable('one_time_codes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('phone', 'email')`))
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('record', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index one_time_codes_lookup on one_time_codes (customer_id, purpose, channel, id desc)`.execute(
    db,
  );

  await db.schema
    .createTable('activation_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
