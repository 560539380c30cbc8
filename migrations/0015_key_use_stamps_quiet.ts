import { sql, type Kysely } from 'kysely';

/**
 * A key's once-a-minute use stamp (last_used_at) no longer notifies `loyalflow_changes`: every stamp
 * dropped every API process's cache of all keys, and with hundreds of tills that was several times a
 * second. Inserts, deletes and any other change of a key still notify; updates are checked per row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger api_keys_notify_change on api_keys`.execute(db);
  await sql`
    create trigger api_keys_notify_change
    after insert or delete or truncate on api_keys
    for each statement execute function loyalflow_notify_change()`.execute(db);
  await sql`
    create trigger api_keys_notify_update
    after update on api_keys
    for each row when ((to_jsonb(old) - 'last_used_at') is distinct from (to_jsonb(new) - 'last_used_at'))
    execute function loyalflow_notify_change()`.execute(db);
}
