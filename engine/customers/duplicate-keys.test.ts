import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { areDuplicateCandidates, duplicateKeys, normalizeName } from './duplicate-keys';
import { defaultPhoneFormats } from './phone';

describe('normalizeName', () => {
  it('trims, lower-cases, reads ё as е and collapses spaces', () => {
    expect(normalizeName('  Фёдоров  ')).toBe('федоров');
    expect(normalizeName('АННА   мария')).toBe('анна мария');
    expect(normalizeName('Артём\u00a0Ёлкин')).toBe('артем елкин');
  });

  it('composes decomposed letters first', () => {
    expect(normalizeName('Андреи\u0306')).toBe('андрей');
    expect(normalizeName('Петре\u0308в')).toBe('петрев');
  });

  it('does not transliterate or fold look-alikes', () => {
    expect(normalizeName('Ivanov')).not.toBe(normalizeName('Иванов'));
    // Latin "o" and "a" inside a Cyrillic name stay Latin.
    expect(normalizeName('Ивaнoв')).not.toBe(normalizeName('Иванов'));
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(normalizeName(normalizeName(s))).toBe(normalizeName(s));
      }),
    );
  });
});

describe('duplicateKeys', () => {
  it('makes phone, e-mail and name-and-birth-date keys', () => {
    expect(
      duplicateKeys({
        phones: ['+79161234567', '8 (916) 765-43-21'],
        emails: ['Ivan.Petrov+shop@gmail.com', 'ivan@mail.ru'],
        firstName: ' Пётр ',
        lastName: 'Иванов',
        birthDate: '1985-04-12',
      }),
    ).toEqual([
      'phone:+79161234567',
      'phone:+79167654321',
      'email:ivanpetrov@gmail.com',
      'email:ivan@mail.ru',
      'name-dob:иванов|петр|1985-04-12',
    ]);
  });

  it('gives nothing for an empty profile and de-duplicates its keys', () => {
    expect(duplicateKeys({})).toEqual([]);
    expect(duplicateKeys({ phones: ['+79161234567', '89161234567'], emails: ['a@b.ru', 'A@B.RU'] })).toEqual([
      'phone:+79161234567',
      'email:a@b.ru',
    ]);
  });

  it('skips unreadable phones and e-mails instead of failing', () => {
    expect(duplicateKeys({ phones: ['call me', '123'], emails: ['nope', ''] })).toEqual([]);
  });

  it('keeps E.164 phones of countries the program does not configure', () => {
    expect(duplicateKeys({ phones: ['+12125550100'] })).toEqual(['phone:+12125550100']);
  });

  it('uses the program phone formats for national numbers', () => {
    expect(
      duplicateKeys(
        { phones: ['050 123 45 67'] },
        { phoneFormats: defaultPhoneFormats, defaultCountry: 'UA' },
      ),
    ).toEqual(['phone:+380501234567']);
  });

  it('needs first name, last name and a real birth date for the name key', () => {
    expect(duplicateKeys({ firstName: 'Петр', lastName: 'Иванов' })).toEqual([]);
    expect(duplicateKeys({ firstName: ' ', lastName: 'Иванов', birthDate: '1985-04-12' })).toEqual([]);
    expect(duplicateKeys({ firstName: 'Петр', lastName: 'Иванов', birthDate: '1985-02-30' })).toEqual([]);
    expect(duplicateKeys({ firstName: 'Петр|x', lastName: 'Иванов', birthDate: '1985-04-12' })).toEqual([
      'name-dob:иванов|петр x|1985-04-12',
    ]);
  });
});

describe('areDuplicateCandidates', () => {
  it('pairs customers who share any key', () => {
    expect(areDuplicateCandidates({ phones: ['+7 916 123-45-67'] }, { phones: ['89161234567'] })).toBe(true);
    expect(
      areDuplicateCandidates({ emails: ['i.van@googlemail.com'] }, { emails: ['ivan+x@gmail.com'] }),
    ).toBe(true);
    expect(
      areDuplicateCandidates(
        { firstName: 'Алёна', lastName: 'Смирнова', birthDate: '1990-01-01' },
        { firstName: 'алена', lastName: ' СМИРНОВА', birthDate: '1990-01-01' },
      ),
    ).toBe(true);
  });

  it('does not pair customers who share only part of a key', () => {
    expect(
      areDuplicateCandidates(
        { firstName: 'Алёна', lastName: 'Смирнова', birthDate: '1990-01-01' },
        { firstName: 'Алёна', lastName: 'Смирнова', birthDate: '1990-01-02' },
      ),
    ).toBe(false);
    expect(
      areDuplicateCandidates({ emails: ['ivan.petrov@mail.ru'] }, { emails: ['ivanpetrov@mail.ru'] }),
    ).toBe(false);
    expect(areDuplicateCandidates({}, {})).toBe(false);
  });

  it('is symmetric', () => {
    const phone = fc.constantFrom('+79161234567', '8 916 123 45 67', '+77011234567', 'bad');
    const email = fc.constantFrom('a.b@gmail.com', 'ab@gmail.com', 'a@mail.ru', 'bad');
    const profile = fc.record(
      { phones: fc.array(phone, { maxLength: 2 }), emails: fc.array(email, { maxLength: 2 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        expect(areDuplicateCandidates(a, b)).toBe(areDuplicateCandidates(b, a));
      }),
    );
  });
});
