import { sql, type Kysely } from 'kysely';
import type { IdentifierKind } from '../../engine/contracts/identifier';
import { programSettings } from '../../engine/contracts/program-settings';
import { CsvSyntaxError, parseCsv } from '../../engine/csv';
import { DomainError } from '../../engine/errors';
import { normalizeIdentifier } from '../customers/identifiers';
import type { Database } from '../schema';

/** Lines a static list upload may have. */
export const maxListRows = 1_000_000;

export interface ListUpload {
  programId: number;
  code: string;
  name: string;
  identifierKind: IdentifierKind;
  csv: string;
  mode: 'replace' | 'add';
}

export interface ListUploadResult {
  code: string;
  rows: number;
  added: number;
  removed: number;
  members: number;
  errors: { line: number; value: string; message: string }[];
}

/** Per-row errors reported back at most; the count of rows tells how many there were in all. */
const maxReportedErrors = 1_000;

/**
 * Uploads a static list from CSV, one identifier a line in the first column (of the kind the upload
 * names; a header `identifier` is skipped). Each line resolves to one active or pending customer;
 * lines that do not (malformed, unknown, shared by several customers) are reported by line and left
 * out. `replace` makes the list exactly the resolved customers; `add` adds them. Segments with a
 * `list` condition see the change through the refresh queue (the list members' trigger).
 */
export async function uploadStaticList(trx: Kysely<Database>, input: ListUpload): Promise<ListUploadResult> {
  let table;
  try {
    table = parseCsv(input.csv, { maxRows: maxListRows });
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new DomainError('csv_invalid', `line ${error.line}: ${error.message}`, 422, 'csv');
    }
    throw error;
  }
  if (table.truncated) throw new DomainError('csv_too_long', `at most ${maxListRows} lines`, 422, 'csv');
  const settings = programSettings(
    (
      await trx
        .selectFrom('programs')
        .select('settings')
        .where('id', '=', input.programId)
        .executeTakeFirstOrThrow()
    ).settings,
  );
  const records = [{ line: table.headerLine, cells: table.header }, ...table.rows].filter(
    (r) => r.cells.length > 0 && !(r.line === table.headerLine && /^identifier$/i.test(r.cells[0]!.trim())),
  );
  const errors: ListUploadResult['errors'] = [];
  const lines: number[] = [];
  const values: string[] = [];
  for (const record of records) {
    const raw = record.cells[0]!.trim();
    if (raw === '') continue;
    try {
      values.push(normalizeIdentifier({ kind: input.identifierKind, value: raw }, settings));
      lines.push(record.line);
    } catch (error) {
      errors.push({ line: record.line, value: raw, message: (error as Error).message });
    }
  }
  const kind = input.identifierKind === 'magstripe' ? 'card' : input.identifierKind;
  const { rows: resolved } = await sql<{ line: number; value: string; customers: string[] }>`
    select r.line, r.value, coalesce(array_agg(distinct i.customer_id::text)
      filter (where i.customer_id is not null), '{}') as customers
    from unnest(${lines}::int[], ${values}::text[]) r(line, value)
    left join identifiers i on i.program_id = ${input.programId} and i.kind = ${kind} and i.value = r.value
      and exists (select 1 from customers c where c.id = i.customer_id and c.status in ('active', 'pending'))
    group by r.line, r.value order by r.line`.execute(trx);
  const customers = new Set<number>();
  for (const r of resolved) {
    if (r.customers.length === 1) customers.add(Number(r.customers[0]));
    else {
      errors.push({
        line: r.line,
        value: r.value,
        message: r.customers.length
          ? `several customers have this ${input.identifierKind}`
          : 'no such customer',
      });
    }
  }
  const list = await trx
    .insertInto('segment_lists')
    .values({ program_id: input.programId, code: input.code, name: input.name })
    .onConflict((oc) => oc.constraint('segment_lists_program_code').doUpdateSet({ name: input.name }))
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids = [...customers];
  const removed =
    input.mode === 'replace'
      ? (
          await trx
            .deleteFrom('segment_list_members')
            .where('list_id', '=', list.id)
            .where(sql<boolean>`not (customer_id = any(${ids}::bigint[]))`)
            .executeTakeFirst()
        ).numDeletedRows
      : 0n;
  const { rows: added } = await sql<{ n: string }>`with added as (
      insert into segment_list_members (list_id, customer_id) select ${list.id}, unnest(${ids}::bigint[])
      on conflict do nothing returning 1) select count(*) as n from added`.execute(trx);
  const { rows: total } = await sql<{ n: string }>`select count(*) as n from segment_list_members
    where list_id = ${list.id}`.execute(trx);
  errors.sort((a, b) => a.line - b.line);
  return {
    code: input.code,
    rows: records.length,
    added: Number(added[0]!.n),
    removed: Number(removed),
    members: Number(total[0]!.n),
    errors: errors.slice(0, maxReportedErrors),
  };
}
