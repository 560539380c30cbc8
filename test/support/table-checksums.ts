import { sql } from 'kysely';
import type { DB } from '../../db/database';

/**
 * A checksum of every row of every table of the public schema, by table: an UPDATE shows as well as an
 * INSERT or a DELETE, so comparing two of them says "nothing changed". Tables that record use rather
 * than data (`api_keys.last_used_at` stamps) are compared without those columns.
 */
export async function tableChecksums(db: DB): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
    order by table_name`.execute(db);
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const row = name === 'api_keys' ? sql`to_jsonb(t) - 'last_used_at'` : sql`to_jsonb(t)`;
    const { rows } = await sql<{ sum: string }>`
      select count(*) || ':' || coalesce(md5(string_agg((${row})::text, '|' order by (${row})::text)), '')
        as sum from ${sql.table(name)} t`.execute(db);
    out[name] = rows[0]!.sum;
  }
  return out;
}
