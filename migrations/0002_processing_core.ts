import { sql, type Kysely } from 'kysely';

/**
 * Customers, their notifiers and identifiers, cards, accounts and the double-entry points ledger with
 * lots. Amounts are bigint minor units or whole points; every journal entry sums to zero per currency.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table programs add column settings jsonb not null default '{}'::jsonb`.execute(db);

  await db.schema
    .createTable('currencies')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('points', 'money')`))
    .addUniqueConstraint('currencies_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('pending', 'active', 'left', 'merged')`),
    )
    .addColumn('profile', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('questionnaire', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('referral_code', 'text', (c) => c.notNull())
    .addColumn('referred_by', 'bigint', (c) => c.references('customers.id'))
    .addColumn('registration_channel', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('left_at', 'timestamptz')
    .addColumn('merged_into', 'bigint', (c) => c.references('customers.id'))
    .addUniqueConstraint('customers_program_referral_code', ['program_id', 'referral_code'])
    .execute();

  await db.schema
    .createTable('identifiers')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('card', 'barcode', 'magstripe', 'phone', 'email', 'external')`),
    )
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('card_id', 'bigint')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index identifiers_lookup on identifiers (program_id, kind, value)`.execute(db);
  await sql`create index identifiers_customer on identifiers (customer_id)`.execute(db);
  await sql`create unique index identifiers_card_unique on identifiers (program_id, kind, value) where kind in ('card', 'barcode', 'magstripe', 'external')`.execute(
    db,
  );

  await db.schema
    .createTable('card_types')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('lot_policy', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addUniqueConstraint('card_types_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('cards')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('card_type_id', 'bigint', (c) => c.notNull().references('card_types.id'))
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('new')
        .check(sql`status in ('new', 'active', 'blocked', 'closed', 'completed')`),
    )
    .addColumn('status_reason', 'text')
    .addColumn('virtual', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('pool_id', 'bigint')
    .addColumn('replaced_by', 'bigint', (c) => c.references('cards.id'))
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('cards_program_number', ['program_id', 'number'])
    .execute();
  await sql`create index cards_customer on cards (customer_id) where customer_id is not null`.execute(db);

  await db.schema
    .createTable('master_accounts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('family', 'company')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`alter table customers add column master_account_id bigint references master_accounts(id)`.execute(
    db,
  );

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('points', 'cash', 'gift_card', 'program')`),
    )
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id'))
    .addColumn('master_account_id', 'bigint', (c) => c.references('master_accounts.id'))
    .addColumn('card_id', 'bigint', (c) => c.references('cards.id'))
    .addColumn('role', 'text')
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('debt', 'bigint', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`debt >= 0`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index accounts_customer_currency on accounts (customer_id, kind, currency) where customer_id is not null and kind <> 'gift_card'`.execute(
    db,
  );
  await sql`create unique index accounts_master_currency on accounts (master_account_id, kind, currency) where master_account_id is not null`.execute(
    db,
  );
  await sql`create unique index accounts_program_role on accounts (program_id, role, currency) where kind = 'program'`.execute(
    db,
  );

  await db.schema
    .createTable('journal_entries')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('reverses', 'bigint', (c) => c.references('journal_entries.id'))
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  await db.schema
    .createTable('lots')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('journal_entries.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('remaining', 'bigint', (c) => c.notNull().check(sql`remaining >= 0`))
    .addColumn('activates_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('activated_at', 'timestamptz')
    .addColumn('burnt_at', 'timestamptz')
    .addCheckConstraint('lots_remaining_le_amount', sql`remaining <= amount`)
    .execute();
  await sql`create index lots_open on lots (account_id, expires_at, activates_at, id) where remaining > 0`.execute(
    db,
  );

  await db.schema
    .createTable('journal_lines')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('journal_entries.id'))
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .execute();
  await sql`create index journal_lines_entry on journal_lines (entry_id)`.execute(db);
  await sql`create index journal_lines_account on journal_lines (account_id, entry_id)`.execute(db);

  await db.schema
    .createTable('lot_movements')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('journal_entries.id'))
    .addColumn('lot_id', 'bigint', (c) => c.notNull().references('lots.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .execute();
  await sql`create index lot_movements_entry on lot_movements (entry_id)`.execute(db);
  await sql`create index lot_movements_lot on lot_movements (lot_id)`.execute(db);

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('changes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index audit_log_subject on audit_log (program_id, subject, id)`.execute(db);
}
