import { sql, type Kysely } from 'kysely';

/**
 * Segments: definitions (versioned), materialised membership with entered/left times, static lists,
 * and the queue of customers whose data changed since their segments were last evaluated.
 *
 * The queue (`segment_refreshes`) is filled by triggers on the tables segment conditions read, in the
 * transaction that changes them, so no write path can forget it; the segment refresher (worker)
 * evaluates the queued customers after the commit, never inside the till's transaction. It polls the
 * queue rather than being notified: a NOTIFY serialises the commits of the transactions that send it,
 * and the till's confirm should not queue behind other tills for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segments')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('archived_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    /** When the membership was last computed in full, and how many it held then. */
    .addColumn('computed_at', 'timestamptz')
    .addColumn('member_count', 'bigint')
    /** The version the membership was last computed in full for; null: due (new, changed, or a segment it reads changed). */
    .addColumn('computed_version', 'integer')
    .addUniqueConstraint('segments_program_code', ['program_id', 'code'])
    .execute();

  await db.schema
    .createTable('segment_versions')
    .addColumn('segment_id', 'bigint', (c) => c.notNull().references('segments.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('segment_versions_pk', ['segment_id', 'version'])
    .execute();

  await db.schema
    .createTable('segment_memberships')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('segment_id', 'bigint', (c) => c.notNull().references('segments.id'))
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('entered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('left_at', 'timestamptz')
    .execute();
  await sql`create unique index segment_memberships_current on segment_memberships (segment_id, customer_id)
    where left_at is null`.execute(db);
  await sql`create index segment_memberships_customer on segment_memberships (customer_id, segment_id)
    where left_at is null`.execute(db);

  await db.schema
    .createTable('segment_lists')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('segment_lists_program_code', ['program_id', 'code'])
    .execute();
  await db.schema
    .createTable('segment_list_members')
    .addColumn('list_id', 'bigint', (c) => c.notNull().references('segment_lists.id'))
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('segment_list_members_pk', ['list_id', 'customer_id'])
    .execute();
  await sql`create index segment_list_members_customer on segment_list_members (customer_id)`.execute(db);

  await db.schema
    .createTable('segment_refreshes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('customer_id', 'bigint', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Purchase conditions sum the spend of a customer's purchases in a window: the covering index lets
  // the correlated subquery read it from the index alone.
  await sql`drop index purchases_customer_time`.execute(db);
  await sql`create index purchases_customer_time on purchases (customer_id, occurred_at)
    include (status, qualifying_amount, returned_amount, store_id) where customer_id is not null`.execute(db);
  await sql`create index customers_program on customers (program_id, id)`.execute(db);
  // The accounts trigger finds a pool's members, and the coupon-used condition a customer's uses.
  await sql`create index customers_master_account on customers (master_account_id)
    where master_account_id is not null`.execute(db);
  await sql`create index coupon_uses_customer on coupon_uses (customer_id, issue_id)
    where customer_id is not null`.execute(db);

  await sql`
    create function loyalflow_segment_refresh() returns trigger language plpgsql as $$
    declare
      customer bigint;
    begin
      if TG_TABLE_NAME = 'accounts' then
        if NEW.customer_id is not null then
          insert into segment_refreshes (customer_id, cause) values (NEW.customer_id, TG_TABLE_NAME);
        elsif NEW.master_account_id is not null then
          insert into segment_refreshes (customer_id, cause)
            select c.id, TG_TABLE_NAME from customers c where c.master_account_id = NEW.master_account_id;
        end if;
        return null;
      end if;
      if TG_OP = 'DELETE' then
        customer := OLD.customer_id;
      else
        customer := coalesce(NEW.customer_id, case when TG_OP = 'UPDATE' then OLD.customer_id end);
      end if;
      if customer is not null then
        insert into segment_refreshes (customer_id, cause) values (customer, TG_TABLE_NAME);
      end if;
      if TG_OP = 'UPDATE' and OLD.customer_id is distinct from NEW.customer_id and OLD.customer_id is not null then
        insert into segment_refreshes (customer_id, cause) values (OLD.customer_id, TG_TABLE_NAME);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create function loyalflow_segment_refresh_customer() returns trigger language plpgsql as $$
    begin
      insert into segment_refreshes (customer_id, cause) values (NEW.id, TG_TABLE_NAME);
      return null;
    end
    $$`.execute(db);

  await sql`create trigger customers_segment_refresh
    after insert or update of status, profile, questionnaire, tier, merged_into, master_account_id, registered_at
    on customers for each row execute function loyalflow_segment_refresh_customer()`.execute(db);
  await sql`create trigger purchases_segment_refresh
    after insert or update of status, returned_amount on purchases
    for each row execute function loyalflow_segment_refresh()`.execute(db);
  await sql`create trigger customer_events_segment_refresh
    after insert or update of customer_id on customer_events
    for each row execute function loyalflow_segment_refresh()`.execute(db);
  await sql`create trigger accounts_segment_refresh
    after update of balance on accounts
    for each row when (NEW.kind = 'points' and OLD.balance is distinct from NEW.balance)
    execute function loyalflow_segment_refresh()`.execute(db);
  await sql`create trigger coupons_segment_refresh
    after insert or update of status, customer_id on coupons
    for each row execute function loyalflow_segment_refresh()`.execute(db);
  await sql`create trigger cards_segment_refresh
    after insert or update of status, customer_id, card_type_id on cards
    for each row execute function loyalflow_segment_refresh()`.execute(db);
  // A list upload may change a million members at once: rather than queue each, it makes the
  // segments that read the list due a full recompute (one set-based pass each).
  await sql`
    create function loyalflow_segment_list_changed() returns trigger language plpgsql as $$
    begin
      update segments s set computed_version = null
      from segment_lists l
      where l.id in (select distinct list_id from changed) and s.program_id = l.program_id
        and s.archived_at is null
        and jsonb_path_exists(s.definition, '$.** ? (@.type == "list" && @.list == $code)',
          jsonb_build_object('code', l.code));
      return null;
    end
    $$`.execute(db);
  await sql`create trigger segment_list_members_added after insert on segment_list_members
    referencing new table as changed for each statement
    execute function loyalflow_segment_list_changed()`.execute(db);
  await sql`create trigger segment_list_members_removed after delete on segment_list_members
    referencing old table as changed for each statement
    execute function loyalflow_segment_list_changed()`.execute(db);
}
