import { z } from 'zod';
import { DomainError } from '../errors';

const digits = z.string().regex(/^\d+$/, 'digits only');
const length = z.int().min(4).max(14);

/**
 * How a program accepts phone numbers of one country. Countries that share a calling code (Russia and
 * Kazakhstan share +7) are told apart by `nationalPrefixes`: the first digits of the national number.
 */
export const phoneFormatSchema = z
  .object({
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in capitals, e.g. "RU"'),
    callingCode: z.string().regex(/^[1-9]\d{0,2}$/, 'one to three digits, not starting with 0'),
    /** Digits after the calling code: exactly n, or [min, max]. */
    nationalNumberLength: z.union([
      length,
      z.tuple([length, length]).refine(([min, max]) => min <= max, 'min must not exceed max'),
    ]),
    /** Dialled before the national number inside the country ("8" in Russia, "0" in Ukraine). */
    trunkPrefix: digits.max(3).optional(),
    /** The national number must start with one of these; absent means any. */
    nationalPrefixes: z.array(digits.min(1).max(6)).min(1).optional(),
    /** National prefixes of mobile ranges; only used to say whether a number is mobile. */
    mobilePrefixes: z.array(digits.min(1).max(6)).min(1).optional(),
  })
  .strict()
  .refine(
    (f) => {
      const l = f.nationalNumberLength;
      return f.callingCode.length + (typeof l === 'number' ? l : l[1]) <= 15;
    },
    {
      message: 'calling code and national number together exceed the 15 digits of E.164',
      path: ['nationalNumberLength'],
    },
  );

export type PhoneFormat = z.infer<typeof phoneFormatSchema>;

export const phoneFormatsSchema = z
  .array(phoneFormatSchema)
  .min(1)
  .superRefine((formats, ctx) => {
    const seen = new Set<string>();
    formats.forEach((f, i) => {
      if (seen.has(f.country)) {
        ctx.addIssue({
          code: 'custom',
          message: `country ${f.country} is listed twice`,
          path: [i, 'country'],
        });
      }
      seen.add(f.country);
    });
  });

/**
 * The formats a program starts with. Prefix lists are deliberately coarse: they decide which country a
 * +7 number belongs to (Kazakhstan owns the 6xx and 7xx national ranges, Russia 3xx, 4xx, 8xx and 9xx)
 * and whether a number looks mobile; they are not a numbering-plan database.
 */
export const defaultPhoneFormats: readonly PhoneFormat[] = [
  {
    country: 'RU',
    callingCode: '7',
    nationalNumberLength: 10,
    trunkPrefix: '8',
    nationalPrefixes: ['3', '4', '8', '9'],
    mobilePrefixes: ['9'],
  },
  {
    country: 'KZ',
    callingCode: '7',
    nationalNumberLength: 10,
    trunkPrefix: '8',
    nationalPrefixes: ['6', '7'],
    mobilePrefixes: ['70', '747', '77'],
  },
  // Belarus dials "8 0xx" inside the country, so its trunk prefix is two digits.
  {
    country: 'BY',
    callingCode: '375',
    nationalNumberLength: 9,
    trunkPrefix: '80',
    mobilePrefixes: ['25', '29', '33', '44'],
  },
  {
    country: 'UA',
    callingCode: '380',
    nationalNumberLength: 9,
    trunkPrefix: '0',
    mobilePrefixes: [
      '39',
      '50',
      '63',
      '66',
      '67',
      '68',
      '73',
      '91',
      '92',
      '93',
      '94',
      '95',
      '96',
      '97',
      '98',
      '99',
    ],
  },
  { country: 'UZ', callingCode: '998', nationalNumberLength: 9 },
  { country: 'AM', callingCode: '374', nationalNumberLength: 8, trunkPrefix: '0' },
  { country: 'GE', callingCode: '995', nationalNumberLength: 9, mobilePrefixes: ['5'] },
  { country: 'KG', callingCode: '996', nationalNumberLength: 9, trunkPrefix: '0' },
];

export interface ParsedPhone {
  /** '+79161234567' */
  e164: string;
  country: string;
  callingCode: string;
  nationalNumber: string;
  /** null when the format lists no mobile prefixes. */
  mobile: boolean | null;
}

// Separators people and tills put into numbers, including no-break and thin spaces and typographic dashes.
const SEPARATORS = /[\s.()\u2010-\u2015-]/gu;
const MAX_INPUT_LENGTH = 40;

function minLength(f: PhoneFormat): number {
  return typeof f.nationalNumberLength === 'number' ? f.nationalNumberLength : f.nationalNumberLength[0];
}

function maxLength(f: PhoneFormat): number {
  return typeof f.nationalNumberLength === 'number' ? f.nationalNumberLength : f.nationalNumberLength[1];
}

function fits(f: PhoneFormat, national: string): boolean {
  return (
    national.length >= minLength(f) &&
    national.length <= maxLength(f) &&
    (f.nationalPrefixes === undefined || f.nationalPrefixes.some((p) => national.startsWith(p)))
  );
}

function parsed(f: PhoneFormat, national: string): ParsedPhone {
  return {
    e164: `+${f.callingCode}${national}`,
    country: f.country,
    callingCode: f.callingCode,
    nationalNumber: national,
    mobile: f.mobilePrefixes ? f.mobilePrefixes.some((p) => national.startsWith(p)) : null,
  };
}

/** The format a national number belongs to among those sharing a calling code, the default one first. */
function byNational(candidates: readonly PhoneFormat[], national: string): ParsedPhone | undefined {
  const format = candidates.find((f) => fits(f, national));
  return format && parsed(format, national);
}

function byInternational(
  formats: readonly PhoneFormat[],
  home: PhoneFormat,
  number: string,
): ParsedPhone | undefined {
  const ordered = [home, ...formats.filter((f) => f !== home)];
  for (const f of ordered) {
    if (!number.startsWith(f.callingCode)) continue;
    const national = number.slice(f.callingCode.length);
    if (fits(f, national)) return parsed(f, national);
  }
  return undefined;
}

/**
 * Reads a phone number as people write it and says which configured country it belongs to. Accepted:
 * "+7 (916) 123-45-67", "8 916 123 45 67", "007 916 …" / "00 7 916 …", and for the default country
 * the national number with or without its trunk prefix ("9161234567") or with its calling code but no
 * "+" ("79161234567"). A national number that fits another country of the default one's calling code
 * is that country's ("8 701 …" dialled in Russia reaches Kazakhstan). Throws DomainError('invalid_phone').
 */
export function parsePhone(
  input: string,
  formats: readonly PhoneFormat[] = defaultPhoneFormats,
  defaultCountry = 'RU',
  field?: string,
): ParsedPhone {
  const home = formats.find((f) => f.country === defaultCountry);
  if (!home) throw new Error(`default country ${defaultCountry} is not among the phone formats`);
  const fail = (why: string) =>
    new DomainError('invalid_phone', `"${String(input).slice(0, MAX_INPUT_LENGTH)}" ${why}`, 422, field);

  if (typeof input !== 'string') throw fail('is not a phone number');
  const trimmed = input.trim();
  if (trimmed.length > MAX_INPUT_LENGTH) throw fail('is too long for a phone number');
  const plus = trimmed.startsWith('+');
  const number = (plus ? trimmed.slice(1) : trimmed).replace(SEPARATORS, '');
  if (!/^\d+$/.test(number))
    throw fail('may hold only digits, spaces, dashes, dots, parentheses and a leading "+"');

  if (plus || number.startsWith('00')) {
    const result = byInternational(formats, home, plus ? number : number.slice(2));
    if (!result) throw fail('has an unknown calling code or a wrong number of digits');
    return result;
  }

  const zone = [home, ...formats.filter((f) => f !== home && f.callingCode === home.callingCode)];
  const trunk = home.trunkPrefix;
  const result =
    (trunk && number.startsWith(trunk) ? byNational(zone, number.slice(trunk.length)) : undefined) ??
    byNational(zone, number) ??
    (number.startsWith(home.callingCode)
      ? byNational(zone, number.slice(home.callingCode.length))
      : undefined);
  if (!result) throw fail('has a wrong number of digits');
  return result;
}

/** The E.164 form ('+79161234567') of a phone number; see parsePhone for what is accepted. */
export function normalizePhone(
  input: string,
  formats: readonly PhoneFormat[] = defaultPhoneFormats,
  defaultCountry = 'RU',
  field?: string,
): string {
  return parsePhone(input, formats, defaultCountry, field).e164;
}
