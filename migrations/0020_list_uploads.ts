import { sql, type Kysely } from 'kysely';

/**
 * Static list uploads run in the background with progress:
 * - `segment_list_uploads`: one uploaded CSV (list code and name, identifier kind, replace/add), its
 *   status (queued → running → done, or failed), lines in all and lines resolved so far, and when
 *   done what it did to the list; the first 1 000 per-line errors (line, value, message) and how many
 *   there were in all.
 * - `segment_list_upload_chunks`: the CSV's lines (line numbers and first cells) in chunks the
 *   workflow resolves one activity each; `done_at` makes a retried chunk a no-op.
 * - `segment_list_upload_customers`: the customers the resolved lines name, per upload (a set); the
 *   final step applies it to the list in one transaction, then deletes chunks and staging.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segment_list_uploads')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'bigint', (c) => c.notNull().references('programs.id'))
    .addColumn('list_code', 'text', (c) => c.notNull())
    .addColumn('list_name', 'text', (c) => c.notNull())
    .addColumn('identifier_kind', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('replace', 'add')`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('queued')
        .check(sql`status in ('queued', 'running', 'done', 'failed')`),
    )
    .addColumn('rows_total', 'integer', (c) => c.notNull())
    .addColumn('rows_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('added', 'integer')
    .addColumn('removed', 'integer')
    .addColumn('members', 'integer')
    .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('failure', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`create index segment_list_uploads_program on segment_list_uploads (program_id, list_code, id)`.execute(
    db,
  );

  await db.schema
    .createTable('segment_list_upload_chunks')
    .addColumn('upload_id', 'bigint', (c) => c.notNull().references('segment_list_uploads.id'))
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('lines', sql`integer[]`, (c) => c.notNull())
    .addColumn('values', sql`text[]`, (c) => c.notNull())
    .addColumn('done_at', 'timestamptz')
    .addPrimaryKeyConstraint('segment_list_upload_chunks_pk', ['upload_id', 'chunk'])
    .execute();

  // No foreign keys: a million staging rows a large upload, checked against customers when applied.
  await db.schema
    .createTable('segment_list_upload_customers')
    .addColumn('upload_id', 'bigint', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_list_upload_customers_pk', ['upload_id', 'customer_id'])
    .execute();
}
