import { describe, expect, it } from 'vitest';
import { parseAmount, validateBatchCsv } from './batch-adjustments';

describe('parseAmount', () => {
  it('reads signed whole numbers', () => {
    expect(parseAmount('150')).toEqual({ amount: 150 });
    expect(parseAmount(' -40 ')).toEqual({ amount: -40 });
    expect(parseAmount('+7')).toEqual({ amount: 7 });
    expect(parseAmount('007')).toEqual({ amount: 7 });
    expect(parseAmount('-1000000000000')).toEqual({ amount: -1_000_000_000_000 });
  });

  it.each([
    '',
    '  ',
    '0',
    '-0',
    '1.5',
    '1,5',
    '1e3',
    '0x10',
    '1 000',
    '--1',
    'abc',
    '1000000000001',
    'Infinity',
  ])('refuses %j', (cell) => {
    expect(parseAmount(cell)).toHaveProperty('error');
  });
});

describe('validateBatchCsv', () => {
  it('reads valid rows with optional currency and reason, columns in any order', () => {
    const result = validateBatchCsv(
      'Amount;IDENTIFIER_KIND;identifier;reason;currency\r\n' +
        '100;external;crm-1;;\r\n' +
        '-30;phone; +7 916 123-45-67 ;"lost receipt; refunded";bonus\r\n',
    );
    expect(result.errors).toEqual([]);
    expect(result.fileRejected).toBe(false);
    expect(result.rowCount).toBe(2);
    expect(result.totals).toEqual({ credit: 100, debit: 30 });
    expect(result.rows).toEqual([
      { line: 2, identifier: { kind: 'external', value: 'crm-1' }, amount: 100 },
      {
        line: 3,
        identifier: { kind: 'phone', value: '+7 916 123-45-67' },
        amount: -30,
        currency: 'bonus',
        reason: 'lost receipt; refunded',
      },
    ]);
  });

  it('collects every row error with its line and column, keeping the good rows', () => {
    const result = validateBatchCsv(
      [
        'identifier_kind,identifier,amount,reason',
        'external,crm-1,10,',
        'passport,123,1.5,',
        'card,,0,okay',
        'email,a@b.c,1e3,x',
        'external,crm-2',
        'external,crm-3,-5,fine reason',
      ].join('\n'),
    );
    expect(result.fileRejected).toBe(false);
    expect(result.rows.map((r) => r.line)).toEqual([2, 7]);
    expect(result.errors).toEqual([
      expect.objectContaining({ line: 3, column: 'identifier_kind', code: 'invalid_identifier_kind' }),
      expect.objectContaining({ line: 3, column: 'amount', code: 'invalid_amount' }),
      expect.objectContaining({ line: 4, column: 'identifier', code: 'invalid_identifier' }),
      expect.objectContaining({ line: 4, column: 'amount', code: 'invalid_amount' }),
      expect.objectContaining({ line: 5, column: 'amount', code: 'invalid_amount' }),
      expect.objectContaining({ line: 5, column: 'reason', code: 'invalid_reason' }),
      expect.objectContaining({ line: 6, code: 'wrong_cell_count' }),
    ]);
    expect(result.totals).toEqual({ credit: 10, debit: 5 });
  });

  it('rejects unknown, repeated and missing columns at the header line', () => {
    const result = validateBatchCsv('\nidentifier,amount,amount,comment\nexternal,1,2,3');
    expect(result.fileRejected).toBe(true);
    expect(result.rows).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({ line: 2, column: 'amount', code: 'duplicate_column' }),
      expect.objectContaining({ line: 2, column: 'comment', code: 'unknown_column' }),
      expect.objectContaining({ line: 2, column: 'identifier_kind', code: 'missing_column' }),
    ]);
  });

  it('rejects a file without rows, an empty file and a CSV syntax error', () => {
    expect(validateBatchCsv('identifier_kind,identifier,amount\n').errors).toEqual([
      expect.objectContaining({ line: 1, code: 'no_rows' }),
    ]);
    expect(validateBatchCsv('\n \n').errors).toEqual([expect.objectContaining({ code: 'empty_file' })]);
    const syntax = validateBatchCsv('identifier_kind,identifier,amount\nexternal,"crm-1,5\n');
    expect(syntax.fileRejected).toBe(true);
    expect(syntax.errors).toEqual([expect.objectContaining({ line: 2, code: 'csv_syntax' })]);
  });

  it('rejects more rows than the limit without reading them all', () => {
    const text = ['identifier_kind,identifier,amount', ...Array.from({ length: 6 }, () => 'card,1,1')].join(
      '\n',
    );
    expect(validateBatchCsv(text, 6).errors).toEqual([]);
    const over = validateBatchCsv(text, 5);
    expect(over.fileRejected).toBe(true);
    expect(over.rowCount).toBe(6);
    expect(over.errors).toEqual([expect.objectContaining({ line: 1, code: 'too_many_rows' })]);
  });

  it('accepts the 100 000-row limit by default', () => {
    const lines = ['identifier_kind,identifier,amount'];
    for (let i = 0; i < 100_000; i += 1) lines.push(`external,crm-${i},${i % 2 ? -1 : 2}`);
    const result = validateBatchCsv(lines.join('\n'));
    expect(result.errors).toEqual([]);
    expect(result.rows).toHaveLength(100_000);
    expect(result.totals).toEqual({ credit: 100_000, debit: 50_000 });
    expect(validateBatchCsv(`${lines.join('\n')}\nexternal,x,1`).errors[0]?.code).toBe('too_many_rows');
  });
});
