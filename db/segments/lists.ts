import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { IdentifierKind } from '../../engine/contracts/identifier';
import { programSettings } from '../../engine/contracts/program-settings';
import { CsvSyntaxError, parseCsv } from '../../engine/csv';
import { DomainError } from '../../engine/errors';
import { normalizeIdentifier } from '../customers/identifiers';
import { appendToOutbox } from '../outbox';
import type { Database, SegmentListUploadTable } from '../schema';

/**
 * Static lists, uploaded as CSV and processed in the background:
 * 1. `queueListUpload` (the request's transaction) parses the CSV — a syntax error or more than
 *    1 000 000 lines is a 422 naming `csv`, nothing written — stores its lines in chunks, the upload
 *    row (queued) and an outbox event; the dispatcher starts segmentListUploadWorkflow.
 * 2. `resolveListUploadChunk`, one activity a chunk: normalizes the chunk's identifiers, resolves
 *    them in one set-based query, stages the customers they name and records per-line errors and
 *    progress, all in one transaction; a chunk done before is skipped, so a retry counts nothing twice.
 * 3. `applyListUpload` makes the staged customers the list (`replace`) or adds them (`add`) in one
 *    transaction — the list never shows half an upload — and marks the upload done with its counts.
 * Segments with a `list` condition are made due a full recompute by the members' statement triggers (0019).
 */

/** Lines a static list upload may have. */
export const maxListRows = 1_000_000;
/** Lines one activity resolves. */
export const listUploadChunkRows = 20_000;
/** Per-line errors kept; `errorCount` tells how many there were in all. */
export const maxReportedErrors = 1_000;
/** The outbox event that starts an upload's workflow. */
export const listUploadQueuedType = 'segment_list.upload_queued';

export type ListUploadStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ListUploadInput {
  programId: number;
  actor: string;
  code: string;
  name: string;
  identifierKind: IdentifierKind;
  csv: string;
  mode: 'replace' | 'add';
  requestId?: string | null;
}

export interface ListUploadError {
  line: number;
  value: string;
  message: string;
}

/** An upload as the API shows it. */
export interface ListUpload {
  id: number;
  code: string;
  name: string;
  identifierKind: IdentifierKind;
  mode: 'replace' | 'add';
  status: ListUploadStatus;
  rowsTotal: number;
  rowsDone: number;
  added: number | null;
  removed: number | null;
  members: number | null;
  errorCount: number;
  errors: ListUploadError[];
  failure: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What the workflow reports when an upload has finished. */
export interface ListUploadSummary {
  uploadId: number;
  status: ListUploadStatus;
  rowsTotal: number;
  added: number | null;
  removed: number | null;
  members: number | null;
  errorCount: number;
}

/** The upload is gone, or a chunk of it is: processing it cannot succeed (the workflow fails it). */
export class ListUploadMissing extends Error {
  override name = 'ListUploadMissing';
}

function view(row: Selectable<SegmentListUploadTable>): ListUpload {
  return {
    id: Number(row.id),
    code: row.list_code,
    name: row.list_name,
    identifierKind: row.identifier_kind as IdentifierKind,
    mode: row.mode,
    status: row.status,
    rowsTotal: row.rows_total,
    rowsDone: row.rows_done,
    added: row.added,
    removed: row.removed,
    members: row.members,
    errorCount: row.error_count,
    errors: row.errors,
    failure: row.failure,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

function summary(row: Selectable<SegmentListUploadTable>): ListUploadSummary {
  return {
    uploadId: Number(row.id),
    status: row.status,
    rowsTotal: row.rows_total,
    added: row.added,
    removed: row.removed,
    members: row.members,
    errorCount: row.error_count,
  };
}

/** The identifier lines of a CSV: first cells, trimmed, blank ones and a header `identifier` left out. */
export function listUploadLines(csv: string): { lines: number[]; values: string[] } {
  let table;
  try {
    table = parseCsv(csv, { maxRows: maxListRows });
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new DomainError('csv_invalid', error.message, 422, 'csv');
    }
    throw error;
  }
  if (table.truncated) throw new DomainError('csv_too_long', `at most ${maxListRows} lines`, 422, 'csv');
  const lines: number[] = [];
  const values: string[] = [];
  const take = (line: number, cells: string[]) => {
    const value = cells[0]?.trim() ?? '';
    if (value !== '') {
      lines.push(line);
      values.push(value);
    }
  };
  if (table.header.length > 0 && !/^identifier$/i.test(table.header[0]!.trim())) {
    take(table.headerLine, table.header);
  }
  for (const row of table.rows) take(row.line, row.cells);
  if (lines.length > maxListRows) {
    throw new DomainError('csv_too_long', `at most ${maxListRows} lines`, 422, 'csv');
  }
  return { lines, values };
}

/**
 * Stores an upload for the worker, in the caller's transaction: its lines in chunks, the upload
 * (queued), the list (created empty if new, so segments may name it at once) and the outbox event
 * that starts its workflow. Refuses a malformed CSV or one of more than 1 000 000 lines (422 `csv`)
 * before writing anything.
 */
export async function queueListUpload(
  trx: Transaction<Database>,
  input: ListUploadInput,
): Promise<ListUpload> {
  const { lines, values } = listUploadLines(input.csv);
  const chunks = Math.ceil(lines.length / listUploadChunkRows);
  const upload = await trx
    .insertInto('segment_list_uploads')
    .values({
      program_id: input.programId,
      list_code: input.code,
      list_name: input.name,
      identifier_kind: input.identifierKind,
      mode: input.mode,
      rows_total: lines.length,
      chunks,
      actor: input.actor,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    const from = chunk * listUploadChunkRows;
    const to = from + listUploadChunkRows;
    await sql`insert into segment_list_upload_chunks (upload_id, chunk, lines, values)
      values (${upload.id}, ${chunk}, ${lines.slice(from, to)}::int[], ${values.slice(from, to)}::text[])`.execute(
      trx,
    );
  }
  await trx
    .insertInto('segment_lists')
    .values({ program_id: input.programId, code: input.code, name: input.name })
    .onConflict((oc) => oc.constraint('segment_lists_program_code').doNothing())
    .execute();
  await appendToOutbox(trx, {
    programId: input.programId,
    stream: `segment-list:${input.programId}:${input.code}`,
    type: listUploadQueuedType,
    payload: { uploadId: Number(upload.id), code: input.code },
    occurredAt: new Date(),
    requestId: input.requestId ?? null,
  });
  return view(upload);
}

async function lockUpload(trx: Kysely<Database>, uploadId: number) {
  const upload = await trx
    .selectFrom('segment_list_uploads')
    .selectAll()
    .where('id', '=', uploadId)
    .forUpdate()
    .executeTakeFirst();
  if (!upload) throw new ListUploadMissing(`no list upload ${uploadId}`);
  return upload;
}

/** Marks an upload running and answers the chunks still to resolve (none once it has finished). */
export async function startListUpload(
  db: Kysely<Database>,
  uploadId: number,
  now: Date,
): Promise<{ status: ListUploadStatus; chunks: number[] }> {
  return db.transaction().execute(async (trx) => {
    const upload = await lockUpload(trx, uploadId);
    if (upload.status === 'done' || upload.status === 'failed') return { status: upload.status, chunks: [] };
    if (upload.status === 'queued') {
      await trx
        .updateTable('segment_list_uploads')
        .set({ status: 'running', started_at: now })
        .where('id', '=', uploadId)
        .execute();
    }
    const pending = await trx
      .selectFrom('segment_list_upload_chunks')
      .select('chunk')
      .where('upload_id', '=', uploadId)
      .where('done_at', 'is', null)
      .orderBy('chunk')
      .execute();
    const done = await trx
      .selectFrom('segment_list_upload_chunks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('upload_id', '=', uploadId)
      .executeTakeFirstOrThrow();
    if (Number(done.n) !== upload.chunks) {
      throw new ListUploadMissing(`list upload ${uploadId} has ${done.n} of its ${upload.chunks} chunks`);
    }
    return { status: 'running', chunks: pending.map((c) => c.chunk) };
  });
}

/**
 * Resolves one chunk of an upload in one transaction: each line's identifier to exactly one active or
 * pending customer (staged for the upload), or an error for the line (not a valid identifier, no such
 * customer, several customers); adds the chunk's lines to the progress. A chunk resolved before (a
 * retried activity) changes nothing. Chunks may run side by side.
 */
export async function resolveListUploadChunk(
  db: Kysely<Database>,
  uploadId: number,
  chunk: number,
  now: Date,
): Promise<{ resolved: number; errors: number; skipped: boolean }> {
  return db.transaction().execute(async (trx) => {
    // The chunk's row lock makes a retry wait for an attempt still running, then see it done; the
    // upload row is locked only by the final update, so chunks may run side by side.
    const row = await trx
      .selectFrom('segment_list_upload_chunks')
      .select(['lines', 'values', 'done_at'])
      .where('upload_id', '=', uploadId)
      .where('chunk', '=', chunk)
      .forUpdate()
      .executeTakeFirst();
    const upload = await trx
      .selectFrom('segment_list_uploads')
      .select(['program_id', 'identifier_kind', 'status'])
      .where('id', '=', uploadId)
      .executeTakeFirst();
    if (!upload) throw new ListUploadMissing(`no list upload ${uploadId}`);
    if (upload.status === 'done' || upload.status === 'failed' || row?.done_at) {
      return { resolved: 0, errors: 0, skipped: true };
    }
    if (!row) throw new ListUploadMissing(`list upload ${uploadId} has no chunk ${chunk}`);
    const settings = programSettings(
      (
        await trx
          .selectFrom('programs')
          .select('settings')
          .where('id', '=', upload.program_id)
          .executeTakeFirstOrThrow()
      ).settings,
    );
    const identifierKind = upload.identifier_kind as IdentifierKind;
    const errors: ListUploadError[] = [];
    const lines: number[] = [];
    const values: string[] = [];
    row.lines.forEach((line, i) => {
      const raw = row.values[i]!;
      try {
        values.push(normalizeIdentifier({ kind: identifierKind, value: raw }, settings));
        lines.push(line);
      } catch (error) {
        errors.push({ line, value: raw, message: (error as Error).message });
      }
    });
    const kind = identifierKind === 'magstripe' ? 'card' : identifierKind;
    const { rows: unresolved } = await sql<{ line: number; value: string; customers: number }>`
      with resolved as (
        select r.line, r.value, array_agg(distinct i.customer_id) filter (where i.customer_id is not null)
          as customers
        from unnest(${lines}::int[], ${values}::text[]) r(line, value)
        left join identifiers i on i.program_id = ${upload.program_id} and i.kind = ${kind} and i.value = r.value
          and exists (select 1 from customers c where c.id = i.customer_id and c.status in ('active', 'pending'))
        group by r.line, r.value
      ), staged as (
        insert into segment_list_upload_customers (upload_id, customer_id)
        select ${uploadId}, customers[1] from resolved where cardinality(customers) = 1
        on conflict do nothing
      )
      select line, value, coalesce(cardinality(customers), 0)::int as customers from resolved
      where coalesce(cardinality(customers), 0) <> 1`.execute(trx);
    for (const r of unresolved) {
      errors.push({
        line: r.line,
        value: r.value,
        message: r.customers ? `several customers have this ${identifierKind}` : 'no such customer',
      });
    }
    errors.sort((a, b) => a.line - b.line);
    const kept = errors.slice(0, maxReportedErrors);
    await trx
      .updateTable('segment_list_upload_chunks')
      .set({ done_at: now })
      .where('upload_id', '=', uploadId)
      .where('chunk', '=', chunk)
      .execute();
    // Counters add up whatever order chunks finish in; the errors kept are the first 1 000 by line.
    await trx
      .updateTable('segment_list_uploads')
      .set({
        rows_done: sql`rows_done + ${row.lines.length}`,
        error_count: sql`error_count + ${errors.length}`,
        ...(kept.length
          ? {
              errors: sql`(select coalesce(jsonb_agg(e order by (e->>'line')::int), '[]'::jsonb) from (
                select e from jsonb_array_elements(errors || ${JSON.stringify(kept)}::jsonb) e
                order by (e->>'line')::int limit ${maxReportedErrors}) kept)`,
            }
          : {}),
      })
      .where('id', '=', uploadId)
      .execute();
    return { resolved: row.lines.length - errors.length, errors: errors.length, skipped: false };
  });
}

/**
 * Applies a fully resolved upload to its list in one transaction — `replace`: the list becomes the
 * staged customers; `add`: they are added — marks it done with what it did and drops its chunks and
 * staging. An upload already finished answers its summary again.
 */
export async function applyListUpload(
  db: Kysely<Database>,
  uploadId: number,
  now: Date,
): Promise<ListUploadSummary> {
  return db.transaction().execute(async (trx) => {
    const upload = await lockUpload(trx, uploadId);
    if (upload.status === 'done' || upload.status === 'failed') return summary(upload);
    const pending = await trx
      .selectFrom('segment_list_upload_chunks')
      .select('chunk')
      .where('upload_id', '=', uploadId)
      .where('done_at', 'is', null)
      .executeTakeFirst();
    if (pending || upload.rows_done !== upload.rows_total) {
      throw new Error(`list upload ${uploadId} still has lines to resolve`);
    }
    // The staging rows were written just now, by many transactions: without fresh statistics the
    // planner may think the table empty and anti-join a million members against it row by row.
    await sql`analyze segment_list_upload_customers`.execute(trx);
    // Upserting locks the list row: uploads to one list apply one after another.
    const list = await trx
      .insertInto('segment_lists')
      .values({ program_id: upload.program_id, code: upload.list_code, name: upload.list_name })
      .onConflict((oc) => oc.constraint('segment_lists_program_code').doUpdateSet({ name: upload.list_name }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const removed =
      upload.mode === 'replace'
        ? Number(
            (
              await sql`delete from segment_list_members m where m.list_id = ${list.id}
                and not exists (select 1 from segment_list_upload_customers s
                  where s.upload_id = ${uploadId} and s.customer_id = m.customer_id)`.execute(trx)
            ).numAffectedRows ?? 0n,
          )
        : 0;
    const added = Number(
      (
        await sql`insert into segment_list_members (list_id, customer_id)
          select ${list.id}, s.customer_id from segment_list_upload_customers s where s.upload_id = ${uploadId}
          on conflict do nothing`.execute(trx)
      ).numAffectedRows ?? 0n,
    );
    const { n: members } = await trx
      .selectFrom('segment_list_members')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('list_id', '=', list.id)
      .executeTakeFirstOrThrow();
    return finishUpload(trx, uploadId, {
      status: 'done',
      added,
      removed,
      members: Number(members),
      finished_at: now,
    });
  });
}

/** Ends an upload, done or failed: its chunks and staging go, its row takes the outcome. */
async function finishUpload(
  trx: Kysely<Database>,
  uploadId: number,
  outcome: Updateable<SegmentListUploadTable>,
): Promise<ListUploadSummary> {
  await trx.deleteFrom('segment_list_upload_customers').where('upload_id', '=', uploadId).execute();
  await trx.deleteFrom('segment_list_upload_chunks').where('upload_id', '=', uploadId).execute();
  const row = await trx
    .updateTable('segment_list_uploads')
    .set(outcome)
    .where('id', '=', uploadId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return summary(row);
}

/** Marks an upload that cannot be processed failed, with why; its list is left as it was. */
export async function failListUpload(
  db: Kysely<Database>,
  uploadId: number,
  failure: string,
  now: Date,
): Promise<ListUploadSummary | null> {
  return db.transaction().execute(async (trx) => {
    const upload = await trx
      .selectFrom('segment_list_uploads')
      .selectAll()
      .where('id', '=', uploadId)
      .forUpdate()
      .executeTakeFirst();
    if (!upload) return null;
    if (upload.status === 'done' || upload.status === 'failed') return summary(upload);
    return finishUpload(trx, uploadId, {
      status: 'failed',
      failure: failure.slice(0, 1_000),
      finished_at: now,
    });
  });
}

/** One of the program's uploads (404 for another program's). */
export async function getListUpload(
  db: Kysely<Database>,
  programId: number,
  id: number,
): Promise<ListUpload> {
  const row = await db
    .selectFrom('segment_list_uploads')
    .selectAll()
    .where('id', '=', id)
    .where('program_id', '=', programId)
    .executeTakeFirst();
  if (!row) throw new DomainError('list_upload_not_found', `no list upload ${id}`, 404, 'id');
  return view(row);
}

/** The program's static lists with their member counts and newest upload, by code. */
export async function listSegmentLists(db: Kysely<Database>, programId: number) {
  const { rows } = await sql<{
    code: string;
    name: string;
    members: number;
    created_at: Date;
    upload_id: number | null;
    upload_status: ListUploadStatus | null;
    upload_created_at: Date | null;
  }>`
    select l.code, l.name, l.created_at,
      (select count(*) from segment_list_members m where m.list_id = l.id)::int as members,
      u.id as upload_id, u.status as upload_status, u.created_at as upload_created_at
    from segment_lists l
    left join lateral (select id, status, created_at from segment_list_uploads u
      where u.program_id = l.program_id and u.list_code = l.code order by id desc limit 1) u on true
    where l.program_id = ${programId}
    order by l.code`.execute(db);
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    members: r.members,
    createdAt: r.created_at.toISOString(),
    lastUpload:
      r.upload_id === null
        ? null
        : {
            id: Number(r.upload_id),
            status: r.upload_status!,
            createdAt: r.upload_created_at!.toISOString(),
          },
  }));
}
