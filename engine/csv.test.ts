import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, detectDelimiter, parseCsv } from './csv';

const cells = (text: string) => parseCsv(text).rows.map((r) => r.cells);

describe('parseCsv', () => {
  it('reads a header and rows with their line numbers', () => {
    const table = parseCsv('a,b,c\n1,2,3\n4,5,6\n');
    expect(table).toEqual({
      delimiter: ',',
      header: ['a', 'b', 'c'],
      headerLine: 1,
      rows: [
        { line: 2, cells: ['1', '2', '3'] },
        { line: 3, cells: ['4', '5', '6'] },
      ],
      truncated: false,
    });
  });

  it('accepts CRLF, LF and lone CR line ends, with or without a final one', () => {
    expect(cells('h\r\n1\r\n2')).toEqual([['1'], ['2']]);
    expect(cells('h\n1\n2\n')).toEqual([['1'], ['2']]);
    expect(cells('h\r1\r2\r')).toEqual([['1'], ['2']]);
    expect(parseCsv('h\r\n1\n2\r3').rows.map((r) => r.line)).toEqual([2, 3, 4]);
  });

  it('drops a byte-order mark at the start only', () => {
    const table = parseCsv('\uFEFFidentifier,amount\nx,1');
    expect(table.header).toEqual(['identifier', 'amount']);
    expect(cells('h\n\uFEFFx')).toEqual([['\uFEFFx']]);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, keeping later lines right', () => {
    const table = parseCsv('a,b\n"x, y","say ""hi"""\n"multi\r\nline\nvalue",2\nlast,3');
    expect(table.rows).toEqual([
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['multi\r\nline\nvalue', '2'] },
      { line: 6, cells: ['last', '3'] },
    ]);
  });

  it('keeps empty cells, quoted empty cells and spaces as written', () => {
    expect(cells('a,b,c\n,"", x \n1,2,')).toEqual([
      ['', '', ' x '],
      ['1', '2', ''],
    ]);
  });

  it('skips blank lines but counts them', () => {
    const table = parseCsv('\n\na;b\n\n1;2\n   \n3;4\n\n');
    expect(table.headerLine).toBe(3);
    expect(table.rows).toEqual([
      { line: 5, cells: ['1', '2'] },
      { line: 7, cells: ['3', '4'] },
    ]);
  });

  it('detects ";" from the header line, ignoring quoted delimiters and later lines', () => {
    expect(detectDelimiter('a;b;c\n1,2,3,4,5')).toBe(';');
    expect(detectDelimiter('"a;b;c",d\n')).toBe(',');
    expect(detectDelimiter('"x,y";b;c')).toBe(';');
    expect(detectDelimiter('single')).toBe(',');
    expect(detectDelimiter('\r\n  \na;b')).toBe(';');
    expect(cells('kind;amount\ncard;"1,5"\nphone;-3')).toEqual([
      ['card', '1,5'],
      ['phone', '-3'],
    ]);
  });

  it('reads an empty or blank text as no header and no rows', () => {
    expect(parseCsv('')).toMatchObject({ header: [], rows: [], truncated: false });
    expect(parseCsv('\uFEFF\r\n\r\n')).toMatchObject({ header: [], rows: [] });
  });

  it('names the line of syntax errors', () => {
    const error = (text: string) => {
      try {
        parseCsv(text);
      } catch (e) {
        expect(e).toBeInstanceOf(CsvSyntaxError);
        return (e as CsvSyntaxError).line;
      }
      throw new Error('no error');
    };
    expect(error('a,b\n1,2\n"open,3\n4,5')).toBe(3);
    expect(error('a,b\n1,2\n"x"y,3')).toBe(3);
    expect(error('a,b\n1,2\n3,ab"c')).toBe(3);
    expect(error('a,b\n"two\nlines" ,1')).toBe(3);
  });

  it('stops after maxRows data rows and says so', () => {
    const text = ['h', ...Array.from({ length: 10 }, (_, i) => String(i))].join('\n');
    expect(parseCsv(text, { maxRows: 10 }).truncated).toBe(false);
    const cut = parseCsv(text, { maxRows: 3 });
    expect(cut.truncated).toBe(true);
    expect(cut.rows.map((r) => r.cells[0])).toEqual(['0', '1', '2']);
  });

  it('reads a large file quickly', () => {
    const lines = ['identifier_kind,identifier,amount,reason'];
    for (let i = 0; i < 100_000; i += 1) lines.push(`external,crm-${i},${i + 1},"bonus, week ${i % 52}"`);
    const started = performance.now();
    const table = parseCsv(lines.join('\r\n'));
    expect(table.rows).toHaveLength(100_000);
    expect(table.rows[99_999]).toEqual({
      line: 100_001,
      cells: ['external', 'crm-99999', '100000', 'bonus, week 3'],
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
