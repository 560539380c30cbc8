import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import {
  defaultPhoneFormats,
  normalizePhone,
  parsePhone,
  phoneFormatSchema,
  phoneFormatsSchema,
  type PhoneFormat,
} from './phone';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('phone formats', () => {
  it('the defaults are valid formats with distinct countries', () => {
    expect(phoneFormatsSchema.parse(defaultPhoneFormats)).toEqual(defaultPhoneFormats);
    expect(defaultPhoneFormats.map((f) => f.country)).toEqual([
      'RU',
      'KZ',
      'BY',
      'UA',
      'UZ',
      'AM',
      'GE',
      'KG',
    ]);
  });

  it('refuses bad formats', () => {
    const ok: PhoneFormat = { country: 'RU', callingCode: '7', nationalNumberLength: 10 };
    expect(phoneFormatSchema.safeParse(ok).success).toBe(true);
    expect(phoneFormatSchema.safeParse({ ...ok, nationalNumberLength: [9, 10] }).success).toBe(true);
    for (const bad of [
      { ...ok, country: 'ru' },
      { ...ok, country: 'RUS' },
      { ...ok, callingCode: '07' },
      { ...ok, callingCode: '+7' },
      { ...ok, nationalNumberLength: [10, 9] },
      { ...ok, nationalNumberLength: 2 },
      { ...ok, callingCode: '998', nationalNumberLength: 13 },
      { ...ok, trunkPrefix: 'x' },
      { ...ok, nationalPrefixes: [] },
      { ...ok, extra: true },
    ]) {
      expect(phoneFormatSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(phoneFormatsSchema.safeParse([ok, ok]).error?.issues[0]?.message).toMatch(/twice/);
  });
});

describe('normalizePhone', () => {
  it.each([
    '+7 (916) 123-45-67',
    '+79161234567',
    '8 916 123 45 67',
    '89161234567',
    '8 (916) 123-45-67',
    '9161234567',
    '916.123.45.67',
    '79161234567',
    '007 916 123 45 67',
    '00 7 916 1234567',
    '  +7\u00a0916\u00a0123\u201345\u201367  ',
    '+ 7 916 123 45 67',
  ])('reads %j as +79161234567', (input) => {
    expect(normalizePhone(input)).toBe('+79161234567');
  });

  it('tells Russia and Kazakhstan apart by the national prefix', () => {
    expect(parsePhone('+7 701 123 45 67')).toMatchObject({
      e164: '+77011234567',
      country: 'KZ',
      mobile: true,
    });
    expect(parsePhone('8 701 123 45 67')).toMatchObject({ country: 'KZ' });
    expect(parsePhone('+7 495 123 45 67')).toMatchObject({ country: 'RU', mobile: false });
    expect(parsePhone('8 800 555 35 35')).toMatchObject({ e164: '+78005553535', country: 'RU' });
    expect(parsePhone('+7 916 123 45 67')).toMatchObject({
      country: 'RU',
      nationalNumber: '9161234567',
      mobile: true,
    });
    expect(() => normalizePhone('+7 116 123 45 67')).toThrow(DomainError);
  });

  it('reads the other default countries', () => {
    expect(normalizePhone('+375 29 123-45-67')).toBe('+375291234567');
    expect(normalizePhone('+380 50 123 45 67')).toBe('+380501234567');
    expect(normalizePhone('+38 050 123 45 67')).toBe('+380501234567');
    expect(normalizePhone('+998 90 123 45 67')).toBe('+998901234567');
    expect(normalizePhone('+374 91 123456')).toBe('+37491123456');
    expect(normalizePhone('+995 555 12 34 56')).toBe('+995555123456');
    expect(normalizePhone('00996 555 123 456')).toBe('+996555123456');
    expect(parsePhone('+998 90 123 45 67').mobile).toBeNull();
  });

  it('uses the default country for national numbers and its trunk prefix', () => {
    expect(normalizePhone('050 123 45 67', defaultPhoneFormats, 'UA')).toBe('+380501234567');
    expect(normalizePhone('50 123 45 67', defaultPhoneFormats, 'UA')).toBe('+380501234567');
    expect(normalizePhone('380501234567', defaultPhoneFormats, 'UA')).toBe('+380501234567');
    expect(normalizePhone('8 029 123 45 67', defaultPhoneFormats, 'BY')).toBe('+375291234567');
    expect(normalizePhone('29 123 45 67', defaultPhoneFormats, 'BY')).toBe('+375291234567');
    expect(normalizePhone('090 123 45 67', defaultPhoneFormats, 'UA')).toBe('+380901234567');
    // A Russian national number is not a Ukrainian one.
    expect(() => normalizePhone('8 916 123 45 67', defaultPhoneFormats, 'UA')).toThrow(DomainError);
  });

  it('supports a range of national lengths and a program-defined format', () => {
    const formats: PhoneFormat[] = [
      { country: 'DE', callingCode: '49', nationalNumberLength: [10, 11], trunkPrefix: '0' },
    ];
    expect(normalizePhone('0151 1234 5678', formats, 'DE')).toBe('+4915112345678');
    expect(normalizePhone('030 12345678', formats, 'DE')).toBe('+493012345678');
    expect(() => normalizePhone('+7 916 123 45 67', formats, 'DE')).toThrow(/calling code/);
  });

  it.each([
    ['letters', '+7 916 CALL-ME'],
    ['a short number', '+7 916 123 45 6'],
    ['a long number', '+7 916 123 45 678'],
    ['a national number too short', '916123456'],
    ['an unknown calling code', '+1 212 555 0100'],
    ['a "+" in the middle', '8+9161234567'],
    ['two pluses', '++79161234567'],
    ['nothing', ''],
    ['only separators', ' - ( ) '],
    ['an extension', '+7 916 123 45 67 ext 2'],
    ['too many characters', `+7 916 123 45 67${' '.repeat(40)}1`],
  ])('refuses %s', (_what, input) => {
    expect(refusal(() => normalizePhone(input, undefined, undefined, 'phones.0'))).toMatchObject({
      code: 'invalid_phone',
      status: 422,
      field: 'phones.0',
    });
  });

  it('refuses a non-string at run time and an unknown default country loudly', () => {
    expect(refusal(() => normalizePhone(79161234567 as unknown as string)).code).toBe('invalid_phone');
    expect(() => normalizePhone('+79161234567', defaultPhoneFormats, 'FR')).toThrow(/default country FR/);
  });

  const ruMobile = fc.stringMatching(/^9\d{9}$/);

  it('is idempotent on its output', () => {
    const national = fc.oneof(ruMobile, fc.stringMatching(/^[67]\d{9}$/), fc.stringMatching(/^[34]\d{9}$/));
    fc.assert(
      fc.property(national, (n) => {
        const once = normalizePhone(`+7${n}`);
        expect(normalizePhone(once)).toBe(once);
        expect(once).toMatch(/^\+7\d{10}$/);
      }),
    );
    const any = fc
      .constantFrom(...defaultPhoneFormats)
      .chain((f) =>
        fc
          .tuple(
            fc.constantFrom(...(f.nationalPrefixes ?? ['1', '2', '5', '9'])),
            fc.stringMatching(/^\d{12}$/),
          )
          .map(([p, rest]) => `+${f.callingCode}${(p + rest).slice(0, f.nationalNumberLength as number)}`),
      );
    fc.assert(
      fc.property(any, fc.constantFrom(...defaultPhoneFormats.map((f) => f.country)), (e164, home) => {
        expect(normalizePhone(e164, defaultPhoneFormats, home)).toBe(e164);
      }),
    );
  });

  it('reads every way of writing one Russian number the same', () => {
    const separator = fc.constantFrom('', ' ', '-', '.', '  ', ' - ');
    fc.assert(
      fc.property(
        ruMobile,
        fc.constantFrom('+7', '8', '', '7', '007', '00 7', '+7 '),
        fc.tuple(separator, separator, separator, separator),
        fc.boolean(),
        (n, prefix, [s1, s2, s3, s4], brackets) => {
          const area = brackets ? `(${n.slice(0, 3)})` : n.slice(0, 3);
          const written = `${prefix}${s1}${area}${s2}${n.slice(3, 6)}${s3}${n.slice(6, 8)}${s4}${n.slice(8)}`;
          expect(normalizePhone(written)).toBe(`+7${n}`);
        },
      ),
    );
  });

  it('never accepts input with letters', () => {
    fc.assert(
      fc.property(ruMobile, fc.nat(9), fc.stringMatching(/^[a-zA-Zа-яА-Я]$/), (n, at, letter) => {
        expect(() => normalizePhone(`+7${n.slice(0, at)}${letter}${n.slice(at)}`)).toThrow(DomainError);
      }),
    );
  });
});
