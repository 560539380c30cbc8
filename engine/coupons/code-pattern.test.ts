import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codePatternSchema,
  createCheckMac,
  createCodeGenerator,
  defaultAlphabet,
  formatCode,
  generateCodes,
  maxIssuable,
  normalizeCode,
  verifyOfflineCheck,
  type CodePatternInput,
} from './code-pattern';

const secretKey = randomBytes(32);
const tillKey = randomBytes(32);
const pattern: CodePatternInput = { prefix: 'SALE', length: 8, group: 4 };

describe('codePatternSchema', () => {
  it('fills the defaults: unambiguous alphabet, 2 check characters', () => {
    const p = codePatternSchema.parse({ length: 8 });
    expect(p).toMatchObject({ prefix: '', alphabet: defaultAlphabet, checkLength: 2 });
    expect(defaultAlphabet).toHaveLength(31);
    expect(defaultAlphabet).not.toMatch(/[01OIL]/);
  });

  it('rejects bad prefixes, alphabets and spaces too big or too small', () => {
    expect(codePatternSchema.safeParse({ length: 8, prefix: 'sale' }).success).toBe(false);
    expect(codePatternSchema.safeParse({ length: 8, alphabet: 'AABCDEFGH' }).success).toBe(false);
    expect(codePatternSchema.safeParse({ length: 20 }).success).toBe(false); // 31^20 > 2^52
    expect(codePatternSchema.safeParse({ length: 3 }).success).toBe(false);
  });
});

describe('generateCodes', () => {
  it('gives 200 000 distinct codes of the pattern, deterministically', () => {
    const codes = generateCodes(pattern, secretKey, 0, 200_000, tillKey);
    expect(codes).toHaveLength(200_000);
    expect(new Set(codes).size).toBe(200_000);
    expect(codes.every((c) => /^SALE[2-9A-HJKMNP-Z]{10}$/.test(c))).toBe(true);
    expect(generateCodes(pattern, secretKey, 1000, 5, tillKey)).toEqual(codes.slice(1000, 1005));
    expect(generateCodes(pattern, randomBytes(32), 0, 5, tillKey)).not.toEqual(codes.slice(0, 5));
  });

  it('sorted generation gives the same codes in ascending order, in batches', () => {
    const g = createCodeGenerator(pattern, secretKey, tillKey);
    const plain = g.generate(500, 30_000);
    const batches = [...g.batches(500, 30_000, { size: 7_000, sorted: true })];
    expect(batches.map((b) => b.length)).toEqual([7000, 7000, 7000, 7000, 2000]);
    const sorted = batches.flat();
    expect(sorted).toEqual([...plain].sort());
  });

  it('maps codes back to their indexes and refuses codes never issued', () => {
    const g = createCodeGenerator(pattern, secretKey, tillKey);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: g.maxIssuable - 1 }), (index) => {
        const [code] = g.generate(index, 1);
        expect(g.indexOf(formatCode(code!, g.pattern).toLowerCase())).toBe(index);
      }),
    );
    expect(g.indexOf('SALE')).toBeNull();
    expect(g.maxIssuable).toBe(maxIssuable(g.pattern));
  });

  it('refuses index ranges beyond what the pattern may issue', () => {
    const small = { length: 4 }; // 31^4 / 1000 = 923 codes
    expect(() => generateCodes(small, secretKey, 900, 24, tillKey)).toThrow(/at most 923/);
    expect(new Set(generateCodes(small, secretKey, 0, 923, tillKey)).size).toBe(923);
  });
});

describe('verifyOfflineCheck', () => {
  const codes = generateCodes(pattern, secretKey, 0, 5_000, tillKey);

  it('accepts every generated code, as printed or typed', () => {
    const p = codePatternSchema.parse(pattern);
    expect(codes.every((c) => verifyOfflineCheck(c, pattern, tillKey))).toBe(true);
    expect(verifyOfflineCheck(` ${formatCode(codes[0]!, p).toLowerCase()} `, pattern, tillKey)).toBe(true);
  });

  it('is the truncated HMAC-SHA256 of prefix and random part under the till key', () => {
    const p = codePatternSchema.parse(pattern);
    const code = codes[7]!;
    const mac = createHmac('sha256', tillKey).update(code.slice(0, 12)).digest();
    const value = mac.readUIntBE(0, 6) % 31 ** 2;
    const check = p.alphabet[Math.floor(value / 31)]! + p.alphabet[value % 31]!;
    expect(code.slice(12)).toBe(check);
  });

  it('rejects a code with one character changed with probability close to 1 − 1/961', () => {
    const alphabet = defaultAlphabet;
    let accepted = 0;
    let tried = 0;
    for (const [n, code] of codes.entries()) {
      const position = 4 + (n % 10); // anywhere in the random part or the check
      const old = code[position]!;
      const replacement = alphabet[(alphabet.indexOf(old) + 1 + (n % 30)) % alphabet.length]!;
      const changed = code.slice(0, position) + replacement + code.slice(position + 1);
      tried++;
      if (verifyOfflineCheck(changed, pattern, tillKey)) accepted++;
    }
    expect(tried).toBe(5_000);
    expect(accepted).toBeLessThan(20); // expected ≈ 5.2
  });

  it('rejects codes of another till key, shape, prefix or alphabet', () => {
    const code = codes[0]!;
    expect(codes.filter((c) => verifyOfflineCheck(c, pattern, randomBytes(32))).length).toBeLessThan(20);
    expect(verifyOfflineCheck(code.slice(0, -1), pattern, tillKey)).toBe(false);
    expect(verifyOfflineCheck(`X${code.slice(1)}`, pattern, tillKey)).toBe(false);
    expect(verifyOfflineCheck(`${code.slice(0, 5)}0${code.slice(6)}`, pattern, tillKey)).toBe(false);
  });
});

describe('createCheckMac', () => {
  it('equals the first 48 bits of node:crypto HMAC-SHA256 for any key and message up to 55 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 100 }),
        fc.uint8Array({ minLength: 0, maxLength: 55 }),
        (key, message) => {
          const mac = createCheckMac(key, message.length);
          mac.block.set(message);
          expect(mac.compute()).toBe(createHmac('sha256', key).update(message).digest().readUIntBE(0, 6));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('normalizeCode and formatCode', () => {
  it('upper-cases and strips spaces and dashes', () => {
    expect(normalizeCode(' sale-abcd – efgh\t23 ')).toBe('SALEABCDEFGH23');
  });

  it('normalising a formatted code gives the code back', () => {
    const p = codePatternSchema.parse(pattern);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (index) => {
        const [code] = generateCodes(p, secretKey, index, 1, tillKey);
        const shown = formatCode(code!, p);
        expect(shown).toMatch(/^(\w{4}-){3}\w{2}$/);
        expect(normalizeCode(shown)).toBe(code);
      }),
      { numRuns: 50 },
    );
  });
});
