import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { emailDuplicateKey, normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('trims and lower-cases the whole address', () => {
    expect(normalizeEmail('  Ivan.Petrov@Mail.RU \n')).toBe('ivan.petrov@mail.ru');
    expect(normalizeEmail("o'brien+tag@example.co.uk")).toBe("o'brien+tag@example.co.uk");
  });

  it('accepts internationalised domains such as .рф and punycode', () => {
    expect(normalizeEmail('Shop@Магазин.РФ')).toBe('shop@магазин.рф');
    expect(normalizeEmail('a@xn--80aswg.xn--p1ai')).toBe('a@xn--80aswg.xn--p1ai');
  });

  it.each([
    '',
    '   ',
    'plain',
    '@mail.ru',
    'ivan@',
    'ivan@mail',
    'ivan@@mail.ru',
    'ivan@mail..ru',
    'ivan@-mail.ru',
    'ivan@mail-.ru',
    '.ivan@mail.ru',
    'ivan.@mail.ru',
    'iv..an@mail.ru',
    'iv an@mail.ru',
    'иван@mail.ru',
    'ivan@mail.r',
    'ivan@mail.123',
    '"ivan"@mail.ru',
  ])('refuses %j', (input) => {
    expect(() => normalizeEmail(input, 'contacts.email')).toThrow(DomainError);
    try {
      normalizeEmail(input, 'contacts.email');
    } catch (e) {
      expect(e).toMatchObject({ code: 'invalid_email', status: 422, field: 'contacts.email' });
    }
  });

  it('refuses addresses over 254 characters and local parts over 64', () => {
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.ru`;
    expect(() => normalizeEmail(`ab@${domain}`)).toThrow(/254/);
    expect(normalizeEmail(`${'x'.repeat(64)}@mail.ru`)).toHaveLength(72);
    expect(() => normalizeEmail(`${'x'.repeat(65)}@mail.ru`)).toThrow(DomainError);
  });

  it('refuses a non-string at run time', () => {
    expect(() => normalizeEmail(42 as unknown as string)).toThrow(DomainError);
  });

  it('is idempotent', () => {
    const local = fc.stringMatching(/^[A-Za-z0-9_+-]{1,20}(\.[A-Za-z0-9_+-]{1,10}){0,2}$/);
    const domain = fc.stringMatching(/^[A-Za-z0-9]{1,15}\.[A-Za-z]{2,6}$/);
    fc.assert(
      fc.property(local, domain, fc.constantFrom('', ' ', '\t'), (l, d, pad) => {
        const once = normalizeEmail(`${pad}${l}@${d}${pad}`);
        expect(normalizeEmail(once)).toBe(once);
        expect(once).toBe(once.toLowerCase());
      }),
    );
  });
});

describe('emailDuplicateKey', () => {
  it('folds dots and +tags for gmail.com and googlemail.com', () => {
    expect(emailDuplicateKey('Ivan.Petrov+shop@GMail.com')).toBe('ivanpetrov@gmail.com');
    expect(emailDuplicateKey('i.v.a.n.petrov@googlemail.com')).toBe('ivanpetrov@gmail.com');
  });

  it('leaves other providers alone apart from normalisation', () => {
    expect(emailDuplicateKey('Ivan.Petrov+shop@Yandex.ru')).toBe('ivan.petrov+shop@yandex.ru');
    expect(emailDuplicateKey('ivan.petrov@gmail.com.evil.ru')).toBe('ivan.petrov@gmail.com.evil.ru');
  });

  it('keeps an address with nothing before "+" as it is', () => {
    expect(emailDuplicateKey('+tag@gmail.com')).toBe('+tag@gmail.com');
  });

  it('throws for an invalid address', () => {
    expect(() => emailDuplicateKey('nope')).toThrow(DomainError);
  });

  it('gives one key for all dot and tag variants of a gmail address', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]{2,12}$/),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
        (name, dots, tag) => {
          const dotted = [...name].map((c, i) => (i > 0 && dots[i] ? `.${c}` : c)).join('');
          const address = `${dotted.toUpperCase()}${tag ? `+${tag}` : ''}@gmail.com`;
          expect(emailDuplicateKey(address)).toBe(`${name}@gmail.com`);
        },
      ),
    );
  });
});
