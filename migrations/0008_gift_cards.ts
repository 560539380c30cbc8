import { sql, type Kysely } from 'kysely';

/**
 * Gift cards and e-certificates: types (nominals, validity, number template), printed batches, the
 * cards, and their spends and refunds. A card's money lives in the ledger, in a `gift_card` account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gift_card_types')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('plastic', 'electronic')`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('nominals', sql`bigint[]`)
    .addColumn('min_amount', 'bigint')
    .addColumn('max_amount', 'bigint')
    .addColumn('validity_days', 'integer', (c) => c.notNull().check(sql`validity_days > 0`))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('luhn', 'boolean', (c) => c.notNull())
    .addColumn('secret_key', 'bytea', (c) => c.notNull())
    .addColumn('next_index', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('gift_card_types_program_code', ['program_id', 'code'])
    .addCheckConstraint(
      'gift_card_types_amounts',
      sql`(nominals is not null and min_amount is null and max_amount is null)
          or (nominals is null and 0 < min_amount and min_amount <= max_amount)`,
    )
    .execute();

  await db.schema
    .createTable('gift_card_batches')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('type_id', 'bigint', (c) => c.notNull().references('gift_card_types.id'))
    .addColumn('start_index', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().check(sql`count > 0`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('gift_cards')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('type_id', 'bigint', (c) => c.notNull().references('gift_card_types.id'))
    .addColumn('batch_id', 'bigint', (c) => c.references('gift_card_batches.id'))
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('inactive')
        .check(sql`status in ('inactive', 'active', 'blocked', 'expired')`),
    )
    .addColumn('status_reason', 'text')
    .addColumn('account_id', 'bigint', (c) => c.references('accounts.id'))
    .addColumn('nominal', 'bigint')
    .addColumn('activated_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('sale_reference', 'text')
    .addColumn('store_id', 'bigint', (c) => c.references('stores.id'))
    .addColumn('activated_by', 'text')
    .addColumn('activation_entry_id', 'bigint', (c) => c.references('journal_entries.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('gift_cards_program_number', ['program_id', 'number'])
    .execute();
  await sql`create unique index gift_cards_sale_reference on gift_cards (program_id, sale_reference) where sale_reference is not null`.execute(
    db,
  );
  await sql`create index gift_cards_expiry on gift_cards (expires_at) where account_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('gift_card_spends')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('card_id', 'bigint', (c) => c.notNull().references('gift_cards.id'))
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('refunded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('journal_entries.id'))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('gift_card_spends_card_holder', ['card_id', 'holder'])
    .addCheckConstraint('gift_card_spends_refunded', sql`refunded >= 0 and refunded <= amount`)
    .execute();
  await sql`create index gift_card_spends_holder on gift_card_spends (program_id, holder)`.execute(db);

  await db.schema
    .createTable('gift_card_refunds')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('spend_id', 'bigint', (c) => c.notNull().references('gift_card_spends.id'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('journal_entries.id'))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('gift_card_refunds_spend_reference', ['spend_id', 'reference'])
    .execute();
}
