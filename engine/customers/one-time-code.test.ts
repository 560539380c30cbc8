import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issueCode, type OneTimeCodeRecord, verifyCode } from './one-time-code';

const secret = 'test-secret';
const now = new Date('2026-03-10T12:00:00.000Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

/** A deterministic random source that replays the given values. */
const replay = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

const issue = (overrides: Partial<Parameters<typeof issueCode>[0]> = {}) =>
  issueCode({
    now,
    ttlSeconds: 300,
    length: 6,
    maxAttempts: 3,
    secret,
    random: replay([0.15, 0.45, 0.95]),
    ...overrides,
  });

const other = (code: string) => code.replace(/^./, (d) => String((Number(d) + 1) % 10));

describe('issueCode', () => {
  it('makes a code from the random source and stores only its salted HMAC', () => {
    const { code, record } = issue();
    expect(code).toBe('149149');
    expect(record).toEqual({
      codeHash: createHmac('sha256', secret)
        .update(record.salt + code)
        .digest('hex'),
      salt: expect.stringMatching(/^[0-9a-f]{32}$/),
      expiresAt: '2026-03-10T12:05:00.000Z',
      attempts: 0,
      maxAttempts: 3,
      lockedUntil: null,
      consumedAt: null,
    });
    expect(JSON.stringify(record)).not.toContain(`"${code}"`);
  });

  it('salts equal codes differently', () => {
    const a = issue({ random: replay([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) });
    const b = issue({ random: replay([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]) });
    expect(a.code).toBe(b.code);
    expect(a.record.salt).not.toBe(b.record.salt);
    expect(a.record.codeHash).not.toBe(b.record.codeHash);
  });

  it('refuses bad parameters', () => {
    expect(() => issue({ length: 3 })).toThrow(RangeError);
    expect(() => issue({ length: 9 })).toThrow(RangeError);
    expect(() => issue({ ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => issue({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => issue({ secret: '' })).toThrow(RangeError);
    expect(() => issue({ random: () => 1 })).toThrow(RangeError);
    expect(() => issue({ random: () => -0.1 })).toThrow(RangeError);
  });

  it('gives a code of the asked length for any random source', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
        fc.integer({ min: 4, max: 8 }),
        (values, length) => {
          const { code, record } = issue({ random: replay(values), length });
          expect(code).toMatch(new RegExp(`^\\d{${length}}$`));
          expect(verifyCode(record, code, now, 60, secret).result).toBe('ok');
        },
      ),
    );
  });
});

describe('verifyCode', () => {
  it('accepts the right code once, with spaces typed in', () => {
    const { code, record } = issue();
    const first = verifyCode(record, ` ${code.slice(0, 3)} ${code.slice(3)} `, at(10), 600, secret);
    expect(first.result).toBe('ok');
    expect(first.record.consumedAt).toBe(at(10).toISOString());
    expect(record.consumedAt).toBeNull();
    expect(verifyCode(first.record, code, at(11), 600, secret).result).toBe('consumed');
  });

  it('does not accept the code under another secret', () => {
    const { code, record } = issue();
    expect(verifyCode(record, code, at(1), 600, 'other-secret').result).toBe('wrong');
  });

  it('counts wrong attempts and locks at maxAttempts', () => {
    const { code, record } = issue();
    const one = verifyCode(record, other(code), at(1), 600, secret);
    expect(one).toMatchObject({
      result: 'wrong',
      attemptsLeft: 2,
      record: { attempts: 1, lockedUntil: null },
    });
    const two = verifyCode(one.record, 'abc', at(2), 600, secret);
    expect(two).toMatchObject({ result: 'wrong', attemptsLeft: 1, record: { attempts: 2 } });
    const three = verifyCode(two.record, other(code), at(3), 600, secret);
    expect(three).toMatchObject({
      result: 'wrong',
      attemptsLeft: 0,
      record: { attempts: 3, lockedUntil: at(603).toISOString() },
    });
    // While locked even the right code is refused, and the attempt is not counted.
    const locked = verifyCode(three.record, code, at(4), 600, secret);
    expect(locked).toEqual({ result: 'locked', record: three.record, attemptsLeft: 0 });
  });

  it('starts counting again when the lock runs out', () => {
    const { code, record } = issue({ ttlSeconds: 3600 });
    let r: OneTimeCodeRecord = record;
    for (let i = 0; i < 3; i++) r = verifyCode(r, other(code), at(i), 60, secret).record;
    expect(verifyCode(r, code, at(61), 60, secret).result).toBe('locked');
    const again = verifyCode(r, other(code), at(62), 60, secret);
    expect(again).toMatchObject({
      result: 'wrong',
      attemptsLeft: 2,
      record: { attempts: 1, lockedUntil: null },
    });
    expect(verifyCode(again.record, code, at(63), 60, secret).result).toBe('ok');
  });

  it('reports an expired code, also while it is locked', () => {
    const { code, record } = issue({ ttlSeconds: 60 });
    expect(verifyCode(record, code, at(59), 600, secret).result).toBe('ok');
    expect(verifyCode(record, code, at(60), 600, secret)).toEqual({
      result: 'expired',
      record,
      attemptsLeft: 3,
    });
    let r: OneTimeCodeRecord = record;
    for (let i = 0; i < 3; i++) r = verifyCode(r, other(code), at(i), 600, secret).record;
    expect(verifyCode(r, code, at(61), 600, secret).result).toBe('expired');
  });

  it('lets a lockout of 0 seconds mean no lock', () => {
    const { code, record } = issue({ maxAttempts: 1 });
    const wrong = verifyCode(record, other(code), at(1), 0, secret);
    expect(wrong.record.lockedUntil).toBe(at(1).toISOString());
    expect(verifyCode(wrong.record, code, at(1), 0, secret).result).toBe('ok');
    expect(() => verifyCode(record, code, at(1), -1, secret)).toThrow(RangeError);
  });

  it('survives a JSON round trip of the record', () => {
    const { code, record } = issue();
    const stored = JSON.parse(JSON.stringify(record)) as OneTimeCodeRecord;
    expect(verifyCode(stored, code, at(1), 600, secret).result).toBe('ok');
  });

  it('never accepts a wrong code, and never more than maxAttempts wrong ones before locking', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^\d{6}$/), { maxLength: 10 }), (attempts) => {
        const { code, record } = issue();
        let r = record;
        let wrong = 0;
        for (const attempt of attempts.filter((a) => a !== code)) {
          const v = verifyCode(r, attempt, at(1), 600, secret);
          expect(v.result).toBe(wrong < 3 ? 'wrong' : 'locked');
          if (v.result === 'wrong') wrong++;
          r = v.record;
        }
        expect(r.attempts).toBe(Math.min(wrong, 3));
      }),
    );
  });
});
