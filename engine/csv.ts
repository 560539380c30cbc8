/**
 * A small RFC 4180 reader for uploaded files: quoted fields (which may hold delimiters and line breaks),
 * `""` for a quote inside a quoted field, CRLF, LF or CR line ends, a UTF-8 byte-order mark at the start,
 * and `,` or `;` as the delimiter (whichever the header line uses outside quotes; `,` on a tie).
 * Strict where a lenient reader would guess: a quote inside an unquoted field, text after a closing
 * quote or an unterminated quoted field is a syntax error naming its line.
 */

export type CsvDelimiter = ',' | ';';

export interface CsvRecord {
  /** The physical line (1-based) the record starts on; a quoted line break makes a record span lines. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  delimiter: CsvDelimiter;
  /** The first non-blank record, as written (no trimming); empty for a blank file. */
  header: string[];
  headerLine: number;
  rows: CsvRecord[];
  /** True when parsing stopped after `maxRows` data records and more followed. */
  truncated: boolean;
}

export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Counts line ends in a span of text: CRLF, LF and lone CR each count once. */
function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    if (c === LF) count += 1;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) count += 1;
  }
  return count;
}

/** The delimiter the first non-blank line uses outside quotes: `;` when it has more of them than of `,`. */
export function detectDelimiter(text: string): CsvDelimiter {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  // The header is the first non-blank line.
  const start = text.search(/\S/);
  for (let i = Math.max(start, 0); i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ',') commas += 1;
    else if (!quoted && c === ';') semicolons += 1;
  }
  return semicolons > commas ? ';' : ',';
}

const isBlank = (cells: string[]) => cells.length === 1 && cells[0]!.trim() === '';

/**
 * Reads the whole text into a header and data records. Blank lines are skipped; each record keeps the
 * line it starts on so that errors can name it. With `maxRows`, parsing stops once one more data
 * record than that has been seen (`truncated`), so an oversized file costs no more than the limit.
 */
export function parseCsv(text: string, options: { maxRows?: number } = {}): CsvTable {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = detectDelimiter(src);
  const delim = delimiter.charCodeAt(0);
  const n = src.length;
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  let header: string[] | null = null;
  let headerLine = 0;
  const rows: CsvRecord[] = [];
  let i = 0;
  let line = 1;

  while (i < n) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      if (src.charCodeAt(i) === QUOTE) {
        // Quoted field: runs to the next quote not doubled.
        let value = '';
        let from = i + 1;
        for (;;) {
          const close = src.indexOf('"', from);
          if (close === -1) throw new CsvSyntaxError(line, 'a quoted field opened here is never closed');
          line += lineBreaks(src, from, close);
          value += src.slice(from, close);
          if (src[close + 1] === '"') {
            value += '"';
            from = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        cells.push(value);
        const next = src.charCodeAt(i);
        if (i < n && next !== delim && next !== LF && next !== CR) {
          throw new CsvSyntaxError(line, 'text after a closing quote; write a quote inside a field as ""');
        }
      } else {
        let j = i;
        while (j < n) {
          const c = src.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          if (c === QUOTE)
            throw new CsvSyntaxError(line, 'a quote inside an unquoted field; quote the whole field');
          j += 1;
        }
        cells.push(src.slice(i, j));
        i = j;
      }
      if (i < n && src.charCodeAt(i) === delim) {
        i += 1;
        continue;
      }
      break;
    }
    // At a line end or the end of the text.
    if (src.charCodeAt(i) === CR) i += src.charCodeAt(i + 1) === LF ? 2 : 1;
    else if (src.charCodeAt(i) === LF) i += 1;
    line += 1;

    if (isBlank(cells)) continue;
    if (header === null) {
      header = cells;
      headerLine = start;
      continue;
    }
    if (rows.length >= maxRows) {
      return { delimiter, header, headerLine, rows, truncated: true };
    }
    rows.push({ line: start, cells });
  }
  return { delimiter, header: header ?? [], headerLine, rows, truncated: false };
}
