import { sql, type Kysely } from 'kysely';

/**
 * The tables the API process caches reads of (db/change-feed.ts): keys and staff roles, the purchase
 * setting (program, partner, store, groups, currencies, tier ladder, the published rule set pointer)
 * and the catalogue.
 */
const watched = [
  'api_keys',
  'staff_users',
  'programs',
  'partners',
  'stores',
  'store_groups',
  'store_group_members',
  'currencies',
  'tier_ladders',
  'products',
] as const;

/**
 * Every committed change to a watched table notifies channel `loyalflow_changes` with the table's name,
 * once per statement (PostgreSQL folds equal notifications of one transaction into one), so every API
 * process drops what it cached of that table before its next call. Updates of api_keys notify per row,
 * unless only the use stamp changed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function loyalflow_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('loyalflow_changes', TG_TABLE_NAME);
      return null;
    end
    $$`.execute(db);
  for (const table of watched) {
    await sql`
      create trigger ${sql.id(`${table}_notify_change`)}
      after insert or delete or truncate ${sql.raw(table === 'api_keys' ? '' : 'or update')} on ${sql.table(table)}
      for each statement execute function loyalflow_notify_change()`.execute(db);
  }
  // A key's once-a-minute use stamp (last_used_at) alone notifies nobody: with hundreds of tills it
  // would empty every process's cache of all keys several times a second.
  await sql`
    create trigger api_keys_notify_update
    after update on api_keys
    for each row when ((to_jsonb(old) - 'last_used_at') is distinct from (to_jsonb(new) - 'last_used_at'))
    execute function loyalflow_notify_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists api_keys_notify_update on api_keys`.execute(db);
  for (const table of watched) {
    await sql`drop trigger if exists ${sql.id(`${table}_notify_change`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists loyalflow_notify_change()`.execute(db);
}
