import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import {
  adultChildren,
  type Answers,
  childAgeOn,
  defaultQuestionnaire,
  isCalendarDate,
  mergeAnswers,
  minorChildren,
  parseQuestionnaireDefinition,
  questionnaireDefinitionSchema,
  validateAnswers,
} from './questionnaire';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a refusal');
}

const validate = (answers: unknown) => validateAnswers(defaultQuestionnaire, answers).value;

describe('questionnaire definition', () => {
  it('the default questionnaire is a valid definition', () => {
    expect(questionnaireDefinitionSchema.parse(defaultQuestionnaire)).toEqual(defaultQuestionnaire);
    expect(defaultQuestionnaire.fields.map((f) => `${f.key}:${f.type}`)).toEqual([
      'favourite_category:choice',
      'interests:multi_choice',
      'wedding_date:date',
      'has_car:boolean',
      'children:group',
      'pets:group',
      'cars:group',
    ]);
  });

  const text = { key: 'nickname', label: 'Nickname', type: 'text', required: false };
  const one = (field: object) => ({ fields: [field] });
  const group = (fields: object[], extra = {}) =>
    one({ key: 'g', label: 'G', type: 'group', fields, ...extra });
  const ab = [
    { value: 'a', label: 'A' },
    { value: 'a', label: 'B' },
  ];
  // [what, definition, message, field path below questionnaire.fields]
  const bad: [string, unknown, RegExp, string][] = [
    ['duplicate keys', { fields: [text, text] }, /used twice/, '1.key'],
    ['duplicate keys in a group', group([text, text]), /used twice/, '0.fields.1.key'],
    ['a choice without options', one({ ...text, type: 'choice' }), /needs options/, '0.options'],
    ['options on a text field', one({ ...text, options: [ab[0]] }), /only choice/, '0.options'],
    [
      'a repeated option',
      one({ ...text, type: 'multi_choice', options: ab }),
      /"a" is listed twice/,
      '0.options',
    ],
    ['min above max', one({ ...text, type: 'number', min: 5, max: 1 }), /max/, '0.max'],
    ['min on a date', one({ ...text, type: 'date', min: 1 }), /only number/, '0.min'],
    ['maxLength on a number', one({ ...text, type: 'number', maxLength: 3 }), /only text/, '0.maxLength'],
    ['a bad key', one({ ...text, key: 'Nick-name' }), /lower-case/, '0.key'],
    ['an unknown type', one({ ...text, type: 'phone' }), /Expected/, '0.type'],
    [
      'nested groups',
      group([{ ...text, type: 'group', fields: [text] }]),
      /cannot be nested/,
      '0.fields.0.type',
    ],
    ['an empty group', group([]), /./, '0.fields'],
    ['minItems above maxItems', group([text], { minItems: 3, maxItems: 2 }), /maxItems/, '0.maxItems'],
    ['an unknown property', one({ ...text, hint: 'x' }), /./, '0'],
    ['a missing required flag', one({ key: 'a', label: 'A', type: 'text' }), /./, '0.required'],
    ['a blank label', one({ ...text, label: '  ' }), /./, '0.label'],
  ];

  it.each(bad)('refuses %s', (_what, definition, message, field) => {
    const e = refusal(() => parseQuestionnaireDefinition(definition));
    expect(e.code).toBe('invalid_questionnaire_definition');
    expect(e.message).toMatch(message);
    expect(e.field).toBe(`questionnaire.fields.${field}`);
  });
});

describe('validateAnswers', () => {
  it('accepts a full set of answers and returns their stored form', () => {
    const answers = {
      favourite_category: 'clothing',
      interests: ['travel', 'books'],
      wedding_date: '2015-06-20',
      has_car: true,
      children: [
        { name: ' Маша ', birth_date: '2012-02-29', gender: 'f' },
        { name: 'Петя', birth_date: '2019-11-01' },
      ],
      pets: [{ kind: 'cat', name: 'Мурка' }, { kind: 'other' }],
      cars: [{ brand: 'Lada', year: 2018 }],
    };
    expect(validateAnswers(defaultQuestionnaire, answers)).toEqual({
      ok: true,
      value: { ...answers, children: [{ ...answers.children[0], name: 'Маша' }, answers.children[1]] },
    });
  });

  it('leaves unanswered questions out: null, blank text and empty lists', () => {
    expect(validate({})).toEqual({});
    expect(
      validate({ favourite_category: null, interests: [], wedding_date: '', children: [], has_car: false }),
    ).toEqual({
      has_car: false,
    });
  });

  it('keeps numbers exactly as given, integer or decimal', () => {
    const definition = parseQuestionnaireDefinition({
      fields: [
        { key: 'height', label: 'Height', type: 'number', required: false, min: 0.5, max: 2.5 },
        { key: 'shoe', label: 'Shoe size', type: 'number', required: false, integer: true },
      ],
    });
    expect(validateAnswers(definition, { height: 1.75, shoe: 42 }).value).toEqual({ height: 1.75, shoe: 42 });
    expect(refusal(() => validateAnswers(definition, { height: 3 })).message).toMatch(/at most 2.5/);
    expect(refusal(() => validateAnswers(definition, { height: 0.1 })).message).toMatch(/at least 0.5/);
    expect(refusal(() => validateAnswers(definition, { shoe: 42.5 })).message).toMatch(/whole number/);
    expect(refusal(() => validateAnswers(definition, { shoe: '42' })).message).toMatch(/must be a number/);
    expect(refusal(() => validateAnswers(definition, { shoe: Number.NaN })).field).toBe('questionnaire.shoe');
  });

  it('normalises e-mail answers without verifying them and caps text', () => {
    const definition = parseQuestionnaireDefinition({
      fields: [
        { key: 'work_email', label: 'Work e-mail', type: 'email', required: true },
        { key: 'note', label: 'Note', type: 'text', required: false, maxLength: 5 },
        { key: 'long', label: 'Long', type: 'text', required: false },
      ],
    });
    expect(validateAnswers(definition, { work_email: ' Ivan@Firm.RU ' }).value).toEqual({
      work_email: 'ivan@firm.ru',
    });
    const e = refusal(() => validateAnswers(definition, { work_email: 'ivan@' }));
    expect(e).toMatchObject({ code: 'invalid_email', field: 'questionnaire.work_email' });
    expect(
      refusal(() => validateAnswers(definition, { work_email: 'a@b.ru', note: 'toolong' })).message,
    ).toMatch(/5/);
    expect(validateAnswers(definition, { work_email: 'a@b.ru', note: ' five ' }).value).toEqual({
      work_email: 'a@b.ru',
      note: 'five',
    });
    expect(
      refusal(() => validateAnswers(definition, { work_email: 'a@b.ru', long: 'x'.repeat(1001) })).field,
    ).toBe('questionnaire.long');
  });

  const [unknown, required, invalid] = ['unknown_answer_key', 'answer_required', 'invalid_answer'];
  const kid = { name: 'A', birth_date: '2010-01-01' };
  // [what, answers, code, field path below questionnaire]
  it.each([
    ['an unknown key', { shoe_size: 42 }, unknown, '.shoe_size'],
    ['an unknown key in a group item', { pets: [{ kind: 'dog', age: 3 }] }, unknown, '.pets.0.age'],
    [
      'a missing field in a group item',
      { children: [kid, { name: 'B' }] },
      required,
      '.children.1.birth_date',
    ],
    ['a blank required text', { children: [{ ...kid, name: '  ' }] }, required, '.children.0.name'],
    ['an impossible date', { wedding_date: '2023-02-29' }, invalid, '.wedding_date'],
    ['a date in another format', { wedding_date: '20.06.2015' }, invalid, '.wedding_date'],
    ['a date with a time', { wedding_date: '2015-06-20T00:00:00Z' }, invalid, '.wedding_date'],
    ['month 13', { children: [{ ...kid, birth_date: '2010-13-01' }] }, invalid, '.children.0.birth_date'],
    ['a choice outside the options', { favourite_category: 'cars' }, invalid, '.favourite_category'],
    ['an option of another field', { children: [{ ...kid, gender: 'x' }] }, invalid, '.children.0.gender'],
    ['a multi_choice given as a string', { interests: 'travel' }, invalid, '.interests'],
    ['a multi_choice with a repeat', { interests: ['travel', 'books', 'travel'] }, invalid, '.interests.2'],
    ['a multi_choice with an unknown option', { interests: ['travel', 'golf'] }, invalid, '.interests.1'],
    ['a boolean as a string', { has_car: 'yes' }, invalid, '.has_car'],
    ['text as a number', { cars: [{ brand: 2107 }] }, invalid, '.cars.0.brand'],
    ['a year out of range', { cars: [{ brand: 'Lada', year: 1800 }] }, invalid, '.cars.0.year'],
    ['a group that is not a list', { pets: { kind: 'dog' } }, invalid, '.pets'],
    ['a group item that is not an object', { pets: ['dog'] }, invalid, '.pets.0'],
    ['too many items', { cars: Array.from({ length: 11 }, () => ({ brand: 'Lada' })) }, invalid, '.cars'],
    ['answers that are not an object', ['favourite_category'], invalid, ''],
    ['null answers', null, invalid, ''],
  ])('refuses %s', (_what, answers, code, path) => {
    const field = `questionnaire${path}`;
    const e = refusal(() => validate(answers));
    expect(e).toMatchObject({ code, field, status: 422 });
    expect(e.message.startsWith(`${field}: `)).toBe(true);
  });

  it('refuses a "__proto__" key instead of reading through it', () => {
    expect(refusal(() => validate(JSON.parse('{"__proto__": {"has_car": true}}'))).code).toBe(
      'unknown_answer_key',
    );
    expect(refusal(() => validate(JSON.parse('{"pets": [{"kind": "cat", "constructor": 1}]}'))).field).toBe(
      'questionnaire.pets.0.constructor',
    );
  });

  it('enforces required top-level fields and group minItems', () => {
    const definition = parseQuestionnaireDefinition({
      fields: [
        { key: 'city', label: 'City', type: 'text', required: true },
        {
          key: 'kids',
          label: 'Kids',
          type: 'group',
          minItems: 1,
          fields: [{ key: 'n', label: 'N', type: 'text', required: true }],
        },
      ],
    });
    expect(refusal(() => validateAnswers(definition, { kids: [{ n: 'a' }] }))).toMatchObject({
      code: 'answer_required',
      field: 'questionnaire.city',
    });
    expect(refusal(() => validateAnswers(definition, { city: 'Omsk' }))).toMatchObject({
      code: 'answer_required',
      field: 'questionnaire.kids',
    });
    expect(validateAnswers(definition, { city: 'Omsk', kids: [{ n: 'a' }] }).value).toEqual({
      city: 'Omsk',
      kids: [{ n: 'a' }],
    });
  });

  it('uses the given field prefix', () => {
    expect(refusal(() => validateAnswers(defaultQuestionnaire, { x: 1 }, 'body.answers')).field).toBe(
      'body.answers.x',
    );
  });

  it('never accepts an unknown key', () => {
    const known = new Set(defaultQuestionnaire.fields.map((f) => f.key));
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((k) => !known.has(k)),
        fc.jsonValue(),
        fc.constantFrom<Record<string, unknown>>({}, { has_car: true }, { pets: [{ kind: 'dog' }] }),
        (key, value, rest) => {
          expect(() => validate({ ...rest, [key]: value })).toThrow(DomainError);
        },
      ),
    );
  });

  it('accepts its own output unchanged', () => {
    const child = fc.record(
      {
        name: fc.string({ minLength: 1, maxLength: 20 }).filter((n) => n.trim() !== ''),
        birth_date: fc
          .date({ min: new Date('1950-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
        gender: fc.constantFrom('m', 'f'),
      },
      { requiredKeys: ['name', 'birth_date'] },
    );
    const answers = fc.record(
      {
        has_car: fc.boolean(),
        interests: fc.uniqueArray(fc.constantFrom('sport', 'travel', 'books', 'music')),
        children: fc.array(child, { maxLength: 5 }),
        cars: fc.array(
          fc.record({ brand: fc.constantFrom('Lada', 'Kia'), year: fc.integer({ min: 1900, max: 2100 }) }),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(answers, (a) => {
        const once = validate(a);
        expect(validate(once)).toEqual(once);
      }),
    );
  });
});

describe('isCalendarDate', () => {
  it('knows leap years and the shape', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2000-02-29')).toBe(true);
    expect(isCalendarDate('1900-02-29')).toBe(false);
    expect(isCalendarDate('2023-04-31')).toBe(false);
    expect(isCalendarDate('0050-01-01')).toBe(true);
    expect(isCalendarDate('2023-1-01')).toBe(false);
    expect(isCalendarDate('2023-00-10')).toBe(false);
    expect(isCalendarDate(' 2023-01-01')).toBe(false);
    expect(isCalendarDate(20230101)).toBe(false);
  });
});

describe('mergeAnswers', () => {
  const current: Answers = validate({
    has_car: true,
    wedding_date: '2015-06-20',
    children: [
      { name: 'Маша', birth_date: '2012-02-29', gender: 'f' },
      { name: 'Петя', birth_date: '2019-11-01' },
    ],
  });

  it('replaces top-level keys and groups as a whole, keeps the rest', () => {
    const { value } = mergeAnswers(defaultQuestionnaire, current, {
      has_car: false,
      children: [{ name: 'Петя', birth_date: '2019-11-01' }],
    });
    expect(value).toEqual({
      has_car: false,
      wedding_date: '2015-06-20',
      children: [{ name: 'Петя', birth_date: '2019-11-01' }],
    });
    expect(current.children).toHaveLength(2);
  });

  it('clears an answer given null', () => {
    expect(mergeAnswers(defaultQuestionnaire, current, { wedding_date: null }).value).not.toHaveProperty(
      'wedding_date',
    );
  });

  it('validates the merged result', () => {
    expect(
      refusal(() => mergeAnswers(defaultQuestionnaire, current, { children: [{ name: 'Без даты' }] })).field,
    ).toBe('questionnaire.children.0.birth_date');
    expect(refusal(() => mergeAnswers(defaultQuestionnaire, current, { shoe: 42 })).code).toBe(
      'unknown_answer_key',
    );
    expect(refusal(() => mergeAnswers(defaultQuestionnaire, current, 'x')).field).toBe('questionnaire');
  });

  it('returns answers to removed questions as retired instead of refusing the update', () => {
    const result = mergeAnswers(
      defaultQuestionnaire,
      { ...current, old_question: 'kept' },
      { has_car: false },
    );
    expect(result.retired).toEqual({ old_question: 'kept' });
    expect(result.value).not.toHaveProperty('old_question');
    expect(
      refusal(() => mergeAnswers(defaultQuestionnaire, { old_question: 'x' }, { old_question: 'y' })).code,
    ).toBe('unknown_answer_key');
  });
});

describe('children by age', () => {
  it('counts full years', () => {
    expect(childAgeOn('2010-05-15', '2028-05-14')).toBe(17);
    expect(childAgeOn('2010-05-15', '2028-05-15')).toBe(18);
    expect(childAgeOn('2010-05-15', '2010-05-15')).toBe(0);
    expect(childAgeOn('2010-12-31', '2011-01-01')).toBe(0);
    expect(childAgeOn('2027-01-01', '2026-06-01')).toBe(-1);
  });

  it('lets a 29 February birthday count from 1 March in common years', () => {
    expect(childAgeOn('2012-02-29', '2030-02-28')).toBe(17);
    expect(childAgeOn('2012-02-29', '2030-03-01')).toBe(18);
    expect(childAgeOn('2012-02-29', '2032-02-29')).toBe(20);
  });

  it('refuses malformed dates', () => {
    expect(() => childAgeOn('2012-02-30', '2030-01-01')).toThrow(RangeError);
    expect(() => childAgeOn('2012-02-01', 'today')).toThrow(RangeError);
  });

  it('classifies children and deletes nobody', () => {
    const answers = validate({
      children: [
        { name: 'Старший', birth_date: '2005-03-10' },
        { name: 'Средний', birth_date: '2008-03-11' },
        { name: 'Младший', birth_date: '2026-09-01' },
      ],
    });
    const on = '2026-03-10';
    expect(adultChildren(answers, on).map((c) => c.name)).toEqual(['Старший']);
    expect(minorChildren(answers, on).map((c) => c.name)).toEqual(['Средний', 'Младший']);
    expect(adultChildren(answers, '2026-03-11').map((c) => c.name)).toEqual(['Старший', 'Средний']);
    expect(adultChildren(answers, on, { adultAge: 22 })).toEqual([]);
    expect(answers.children).toHaveLength(3);
    expect(validate(answers)).toEqual(answers);
  });

  it('finds children under another group key and copes with no children', () => {
    const answers: Answers = { kids: [{ born: '2000-01-01' }, { nickname: 'x' }] };
    expect(adultChildren(answers, '2026-01-01', { groupKey: 'kids', birthDateKey: 'born' })).toHaveLength(1);
    expect(adultChildren({}, '2026-01-01')).toEqual([]);
    expect(minorChildren({ children: 'none' }, '2026-01-01')).toEqual([]);
  });

  it('splits every child into exactly one of the two', () => {
    const day = fc
      .date({ min: new Date('1990-01-01'), max: new Date('2040-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(fc.array(day, { maxLength: 6 }), day, (births, on) => {
        const answers: Answers = { children: births.map((b, i) => ({ name: `c${i}`, birth_date: b })) };
        const adults = adultChildren(answers, on);
        const minors = minorChildren(answers, on);
        expect(adults.length + minors.length).toBe(births.length);
        for (const c of adults) expect(childAgeOn(c.birth_date as string, on)).toBeGreaterThanOrEqual(18);
      }),
    );
  });
});
