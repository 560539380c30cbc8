import { sql, type Kysely } from 'kysely';

/**
 * Access: API keys of staff users (scopes from the user's role), a rate limit per key, an optional
 * client certificate a key's calls must present (mutual TLS at a till), and the key a rotation replaced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('staff_user_id', 'bigint', (c) => c.references('staff_users.id'))
    .addColumn('rate_per_minute', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(3000)
        .check(sql`rate_per_minute between 1 and 600000`),
    )
    .addColumn('rate_burst', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(100)
        .check(sql`rate_burst between 1 and 100000`),
    )
    .addColumn('client_cert_sha256', 'text', (c) => c.check(sql`client_cert_sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('replaces_id', 'bigint', (c) => c.references('api_keys.id'))
    .execute();
  await db.schema
    .alterTable('api_keys')
    .addCheckConstraint(
      'api_keys_staff_or_store',
      sql`staff_user_id is null or (partner_id is null and store_id is null)`,
    )
    .execute();
}
