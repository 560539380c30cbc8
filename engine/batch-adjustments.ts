import {
  batchColumns,
  maxBatchAmount,
  maxBatchRows,
  requiredBatchColumns,
  type BatchColumn,
  type BatchRowError,
  type BatchTotals,
} from './contracts/batch-adjustment';
import { identifierKindSchema, type Identifier, type IdentifierKind } from './contracts/identifier';
import { CsvSyntaxError, parseCsv } from './csv';

/** One row of a batch file that passed the checks that need no database. */
export interface BatchRow {
  line: number;
  identifier: Identifier;
  amount: number;
  /** Absent: the program's default points currency. */
  currency?: string;
  /** Absent: the batch's default reason. */
  reason?: string;
}

export interface BatchValidation {
  /** Data rows in the file (counted up to one past the limit). */
  rowCount: number;
  /** Rows without errors, in file order. */
  rows: BatchRow[];
  errors: BatchRowError[];
  /** A problem with the file as a whole (syntax, header, size): no row was checked. */
  fileRejected: boolean;
  /** Over the rows whose amount is valid, errors elsewhere in the row or not. */
  totals: BatchTotals;
}

const amountPattern = /^[+-]?\d+$/;
const identifierKinds = new Set<string>(identifierKindSchema.options);

/**
 * A signed whole number written plainly: digits with an optional sign, no decimals, exponents,
 * separators or spaces inside; not zero and within ±10^12.
 */
export function parseAmount(cell: string): { amount: number } | { error: string } {
  const text = cell.trim();
  if (text === '') return { error: 'amount is empty' };
  if (!amountPattern.test(text)) return { error: `amount "${text}" is not a whole number like 150 or -40` };
  const amount = Number(text);
  if (amount === 0) return { error: 'amount must not be zero' };
  if (Math.abs(amount) > maxBatchAmount) return { error: `amount must be within ±${maxBatchAmount}` };
  return { amount };
}

function checkHeader(
  header: string[],
  line: number,
): { index: Map<BatchColumn, number>; errors: BatchRowError[] } {
  const index = new Map<BatchColumn, number>();
  const errors: BatchRowError[] = [];
  if (header.length === 0) {
    errors.push({ line: 1, code: 'empty_file', message: 'the file has no header line and no rows' });
    return { index, errors };
  }
  header.forEach((raw, position) => {
    const name = raw.trim().toLowerCase();
    if (!(batchColumns as readonly string[]).includes(name)) {
      errors.push({
        line,
        column: raw,
        code: 'unknown_column',
        message: `unknown column "${raw}"; the columns are ${batchColumns.join(', ')}`,
      });
    } else if (index.has(name as BatchColumn)) {
      errors.push({
        line,
        column: name,
        code: 'duplicate_column',
        message: `column "${name}" appears twice`,
      });
    } else {
      index.set(name as BatchColumn, position);
    }
  });
  for (const required of requiredBatchColumns) {
    if (!index.has(required)) {
      errors.push({
        line,
        column: required,
        code: 'missing_column',
        message: `the header line lacks the required column "${required}"`,
      });
    }
  }
  return { index, errors };
}

const cellAt = (cells: string[], at: number | undefined) => (at === undefined ? '' : cells[at]!.trim());

/** Checks one data row; its errors go to `errors`, its amount to `totals` when valid. */
function checkRow(
  cells: string[],
  line: number,
  at: Partial<Record<BatchColumn, number>>,
  width: number,
  totals: BatchTotals,
  errors: BatchRowError[],
): BatchRow | undefined {
  if (cells.length !== width) {
    const message = `the row has ${cells.length} cells, the header ${width}`;
    errors.push({ line, code: 'wrong_cell_count', message });
    return undefined;
  }
  const before = errors.length;
  const kindCell = cellAt(cells, at.identifier_kind);
  const kind = identifierKinds.has(kindCell) ? (kindCell as IdentifierKind) : undefined;
  if (!kind) {
    const message = `identifier_kind must be one of ${identifierKindSchema.options.join(', ')}`;
    errors.push({ line, column: 'identifier_kind', code: 'invalid_identifier_kind', message });
  }
  const value = cellAt(cells, at.identifier);
  if (value === '' || value.length > 256) {
    const message = value === '' ? 'identifier is empty' : 'identifier is over 256 characters';
    errors.push({ line, column: 'identifier', code: 'invalid_identifier', message });
  }
  const parsed = parseAmount(cellAt(cells, at.amount));
  if ('error' in parsed)
    errors.push({ line, column: 'amount', code: 'invalid_amount', message: parsed.error });
  else if (parsed.amount > 0) totals.credit += parsed.amount;
  else totals.debit -= parsed.amount;

  const currency = cellAt(cells, at.currency);
  if (currency.length > 32) {
    const message = 'currency is over 32 characters';
    errors.push({ line, column: 'currency', code: 'invalid_currency', message });
  }
  const reason = cellAt(cells, at.reason);
  if (reason !== '' && (reason.length < 3 || reason.length > 500)) {
    const message = 'reason must be 3 to 500 characters (or empty for the default)';
    errors.push({ line, column: 'reason', code: 'invalid_reason', message });
  }
  if (errors.length > before || !kind || 'error' in parsed) return undefined;
  const row: BatchRow = { line, identifier: { kind, value }, amount: parsed.amount };
  if (currency !== '') row.currency = currency;
  if (reason !== '') row.reason = reason;
  return row;
}

/**
 * Everything about a batch file that needs no database: CSV syntax, the header (required columns, no
 * unknown or repeated ones), the row count, and each row's cells. Errors are collected, never thrown;
 * a file-level problem stops before the rows.
 */
export function validateBatchCsv(text: string, limit = maxBatchRows): BatchValidation {
  const result: BatchValidation = {
    rowCount: 0,
    rows: [],
    errors: [],
    fileRejected: true,
    totals: { credit: 0, debit: 0 },
  };
  let table;
  try {
    table = parseCsv(text, { maxRows: limit });
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    result.errors.push({ line: error.line, code: 'csv_syntax', message: error.message });
    return result;
  }
  result.rowCount = table.rows.length + (table.truncated ? 1 : 0);
  const { index, errors } = checkHeader(table.header, table.headerLine);
  result.errors.push(...errors);
  if (table.truncated) {
    result.errors.push({
      line: table.headerLine,
      code: 'too_many_rows',
      message: `the file has more than ${limit} rows; split it`,
    });
  } else if (table.header.length > 0 && table.rows.length === 0) {
    result.errors.push({ line: table.headerLine, code: 'no_rows', message: 'the file has no data rows' });
  }
  if (result.errors.length > 0) return result;

  result.fileRejected = false;
  const at = Object.fromEntries(index) as Partial<Record<BatchColumn, number>>;
  for (const record of table.rows) {
    const row = checkRow(record.cells, record.line, at, table.header.length, result.totals, result.errors);
    if (row) result.rows.push(row);
  }
  return result;
}
