import { sql, type Kysely } from 'kysely';

/**
 * Each applied batch of manual adjustments, by the hash of its normalised rows and optional file id:
 * the same file is applied again only when the caller names the application it repeats. The unique
 * key makes two uploads of one file at once queue, and the second refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('batch_adjustments')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('file_id', 'text')
    .addColumn('sequence', 'integer', (c) => c.notNull().check(sql`sequence > 0`))
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('repeat_of', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('batch_adjustments_content_sequence', ['program_id', 'content_hash', 'sequence'])
    .execute();
}
