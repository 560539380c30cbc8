import { z } from 'zod';
import { DomainError } from '../errors';
import { normalizeEmail } from './email';

/** A group holds at most this many items even without maxItems: answers are one document per customer. */
export const MAX_GROUP_ITEMS = 100;
/** Text answers are capped even without maxLength. */
export const MAX_TEXT_LENGTH = 1000;

const LEAF_TYPES = ['text', 'number', 'date', 'choice', 'multi_choice', 'boolean', 'email'] as const;
export type LeafFieldType = (typeof LEAF_TYPES)[number];

const keySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_", starting with a letter');
const labelSchema = z.string().trim().min(1).max(200);
const count = z.int().min(0).max(MAX_GROUP_ITEMS);

const optionSchema = z.object({ value: z.string().min(1).max(100), label: labelSchema }).strict();

const leafFieldSchema = z
  .object({
    key: keySchema,
    label: labelSchema,
    type: z.enum(LEAF_TYPES, {
      error: (issue) =>
        issue.input === 'group' ? 'groups cannot be nested' : `type must be one of ${LEAF_TYPES.join(', ')}`,
    }),
    required: z.boolean(),
    options: z.array(optionSchema).min(1).max(200).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Numbers only: refuse decimals. */
    integer: z.boolean().optional(),
    maxLength: z.int().min(1).max(MAX_TEXT_LENGTH).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const choice = f.type === 'choice' || f.type === 'multi_choice';
    if (choice && !f.options) issue('options', `a ${f.type} field needs options`);
    if (!choice && f.options) issue('options', 'only choice and multi_choice fields have options');
    if (f.options) {
      const values = f.options.map((o) => o.value);
      const twice = values.find((v, i) => values.indexOf(v) !== i);
      if (twice !== undefined) issue('options', `option "${twice}" is listed twice`);
    }
    if (f.type !== 'number') {
      for (const k of ['min', 'max', 'integer'] as const) {
        if (f[k] !== undefined) issue(k, `only number fields have ${k}`);
      }
    } else if (f.min !== undefined && f.max !== undefined && f.min > f.max) {
      issue('max', 'max must not be below min');
    }
    if (f.type !== 'text' && f.maxLength !== undefined) issue('maxLength', 'only text fields have maxLength');
  });

const groupFieldSchema = z
  .object({
    key: keySchema,
    label: labelSchema,
    type: z.literal('group'),
    fields: z.array(leafFieldSchema).min(1).max(50),
    minItems: count.optional(),
    maxItems: count.min(1).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    uniqueKeys(g.fields, ctx, ['fields']);
    if (g.minItems !== undefined && g.maxItems !== undefined && g.minItems > g.maxItems) {
      ctx.addIssue({ code: 'custom', path: ['maxItems'], message: 'maxItems must not be below minItems' });
    }
  });

function uniqueKeys(fields: { key: string }[], ctx: z.RefinementCtx, path: (string | number)[]): void {
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (seen.has(f.key)) {
      ctx.addIssue({ code: 'custom', path: [...path, i, 'key'], message: `key "${f.key}" is used twice` });
    }
    seen.add(f.key);
  });
}

export const questionnaireFieldSchema = z.discriminatedUnion('type', [leafFieldSchema, groupFieldSchema]);

/** The questionnaire a program asks its customers: plain questions and repeatable groups of them. */
export const questionnaireDefinitionSchema = z
  .object({ fields: z.array(questionnaireFieldSchema).max(200) })
  .strict()
  .superRefine((d, ctx) => uniqueKeys(d.fields, ctx, ['fields']));

export type QuestionnaireDefinition = z.infer<typeof questionnaireDefinitionSchema>;
export type QuestionnaireField = z.infer<typeof questionnaireFieldSchema>;
export type LeafField = z.infer<typeof leafFieldSchema>;
export type GroupField = z.infer<typeof groupFieldSchema>;

export type AnswerValue = string | number | boolean | string[];
export type GroupItem = Record<string, AnswerValue>;
export type Answers = Record<string, AnswerValue | GroupItem[]>;

/** Parses a definition a marketer saved; the error names the first offending place. */
export function parseQuestionnaireDefinition(
  input: unknown,
  field = 'questionnaire',
): QuestionnaireDefinition {
  const result = questionnaireDefinitionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [field, ...issue.path.map(String)].join('.');
  throw new DomainError('invalid_questionnaire_definition', `${path}: ${issue.message}`, 422, path);
}

const choice = (values: string[]) => values.map((v) => ({ value: v, label: v.replaceAll('_', ' ') }));

/** What a new program asks; labels are placeholders a program overrides in its own definition. */
export const defaultQuestionnaire: QuestionnaireDefinition = {
  fields: [
    {
      key: 'favourite_category',
      label: 'Favourite category',
      type: 'choice',
      required: false,
      options: choice([
        'groceries',
        'clothing',
        'footwear',
        'electronics',
        'home',
        'beauty',
        'kids',
        'sports',
      ]),
    },
    {
      key: 'interests',
      label: 'Interests',
      type: 'multi_choice',
      required: false,
      options: choice(['sport', 'travel', 'cooking', 'books', 'music', 'cinema', 'fashion', 'technology']),
    },
    { key: 'wedding_date', label: 'Wedding date', type: 'date', required: false },
    { key: 'has_car', label: 'Has a car', type: 'boolean', required: false },
    {
      key: 'children',
      label: 'Children',
      type: 'group',
      maxItems: 20,
      fields: [
        { key: 'name', label: 'Name', type: 'text', required: true, maxLength: 100 },
        { key: 'birth_date', label: 'Date of birth', type: 'date', required: true },
        {
          key: 'gender',
          label: 'Gender',
          type: 'choice',
          required: false,
          options: [
            { value: 'm', label: 'boy' },
            { value: 'f', label: 'girl' },
          ],
        },
      ],
    },
    {
      key: 'pets',
      label: 'Pets',
      type: 'group',
      maxItems: 20,
      fields: [
        {
          key: 'kind',
          label: 'Kind',
          type: 'choice',
          required: true,
          options: choice(['cat', 'dog', 'other']),
        },
        { key: 'name', label: 'Name', type: 'text', required: false, maxLength: 100 },
      ],
    },
    {
      key: 'cars',
      label: 'Cars',
      type: 'group',
      maxItems: 10,
      fields: [
        { key: 'brand', label: 'Brand', type: 'text', required: true, maxLength: 100 },
        { key: 'year', label: 'Year', type: 'number', required: false, integer: true, min: 1900, max: 2100 },
      ],
    },
  ],
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** null, undefined, blank text and empty lists all mean "not answered"; such answers are not stored. */
function isBlank(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (typeof v === 'string' && v.trim() === '') ||
    (Array.isArray(v) && v.length === 0)
  );
}

function refuse(code: string, message: string, path: string): DomainError {
  return new DomainError(code, `${path}: ${message}`, 422, path);
}

function leafValue(f: LeafField, v: unknown, path: string): AnswerValue {
  const bad = (message: string) => refuse('invalid_answer', message, path);
  switch (f.type) {
    case 'text': {
      if (typeof v !== 'string') throw bad('must be text');
      const text = v.trim();
      const max = f.maxLength ?? MAX_TEXT_LENGTH;
      if (text.length > max) throw bad(`must be at most ${max} characters`);
      return text;
    }
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
      if (f.integer && !Number.isInteger(v)) throw bad('must be a whole number');
      if (f.min !== undefined && v < f.min) throw bad(`must be at least ${f.min}`);
      if (f.max !== undefined && v > f.max) throw bad(`must be at most ${f.max}`);
      return v;
    case 'date':
      if (!isCalendarDate(v)) throw bad('must be a date written YYYY-MM-DD');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('must be true or false');
      return v;
    case 'email':
      if (typeof v !== 'string') throw bad('must be an e-mail address');
      return normalizeEmail(v, path);
    case 'choice':
      if (typeof v !== 'string' || !f.options?.some((o) => o.value === v)) {
        throw bad(`must be one of ${values(f)}`);
      }
      return v;
    case 'multi_choice': {
      if (!Array.isArray(v)) throw bad('must be a list of options');
      v.forEach((item: unknown, i) => {
        if (typeof item !== 'string' || !f.options?.some((o) => o.value === item)) {
          throw refuse('invalid_answer', `must be one of ${values(f)}`, `${path}.${i}`);
        }
        if (v.indexOf(item) !== i) {
          throw refuse('invalid_answer', `"${item}" is chosen twice`, `${path}.${i}`);
        }
      });
      return [...(v as string[])];
    }
  }
}

function values(f: LeafField): string {
  return (f.options ?? []).map((o) => o.value).join(', ');
}

function record(
  fields: readonly LeafField[] | readonly QuestionnaireField[],
  input: unknown,
  path: string,
): Answers {
  if (!isPlainObject(input)) throw refuse('invalid_answer', 'must be an object', path);
  const known = new Set(fields.map((f) => f.key));
  const unknown = Object.keys(input).find((k) => !known.has(k));
  if (unknown !== undefined) {
    // The key is the caller's text: cut it so a hostile key cannot bloat the error.
    const key = unknown.slice(0, 64);
    throw refuse('unknown_answer_key', 'is not a question of this questionnaire', `${path}.${key}`);
  }
  const out: Answers = {};
  for (const f of fields) {
    const p = `${path}.${f.key}`;
    const v = Object.hasOwn(input, f.key) ? input[f.key] : undefined;
    if (f.type === 'group') {
      const items = groupValue(f, v, p);
      if (items.length > 0) out[f.key] = items;
    } else if (isBlank(v)) {
      if (f.required) throw refuse('answer_required', 'is required', p);
    } else {
      out[f.key] = leafValue(f, v, p);
    }
  }
  return out;
}

function groupValue(g: GroupField, v: unknown, path: string): GroupItem[] {
  const min = g.minItems ?? 0;
  const max = g.maxItems ?? MAX_GROUP_ITEMS;
  if (isBlank(v)) {
    if (min > 0) throw refuse('answer_required', `needs at least ${min} item(s)`, path);
    return [];
  }
  if (!Array.isArray(v)) throw refuse('invalid_answer', 'must be a list', path);
  if (v.length < min) throw refuse('invalid_answer', `needs at least ${min} item(s)`, path);
  if (v.length > max) throw refuse('invalid_answer', `allows at most ${max} item(s)`, path);
  return v.map((item: unknown, i) => record(g.fields, item, `${path}.${i}`) as GroupItem);
}

/**
 * Checks a customer's answers against the program's questionnaire and returns them in stored form:
 * text trimmed, e-mail normalised, unanswered questions left out. Throws DomainError on the first
 * problem with `field` set to its dotted path (`questionnaire.children.1.birth_date`): unknown_answer_key,
 * answer_required or invalid_answer. Numbers are JSON numbers, kept exactly as given.
 */
export function validateAnswers(
  definition: QuestionnaireDefinition,
  answers: unknown,
  field = 'questionnaire',
): { ok: true; value: Answers } {
  return { ok: true, value: record(definition.fields, answers, field) };
}

/**
 * Applies a partial update: each top-level key of the patch replaces the current answer (a group as a
 * whole, so removing one child means sending the others), null clears it. Answers to questions the
 * program has since removed are not validated; they come back in `retired` for the caller to keep or
 * archive instead of blocking every later update.
 */
export function mergeAnswers(
  definition: QuestionnaireDefinition,
  current: Answers,
  patch: unknown,
  field = 'questionnaire',
): { ok: true; value: Answers; retired: Record<string, unknown> } {
  if (!isPlainObject(patch)) throw refuse('invalid_answer', 'must be an object', field);
  const known = new Set(definition.fields.map((f) => f.key));
  const merged: Record<string, unknown> = {};
  const retired: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(current)) {
    if (known.has(k)) merged[k] = v;
    else if (!Object.hasOwn(patch, k)) retired[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) merged[k] = v;
  return { ...validateAnswers(definition, merged, field), retired };
}

/** Full years between a birth date and `on` (both YYYY-MM-DD); a 29 February birthday counts from 1 March. */
export function childAgeOn(birthDate: string, on: string): number {
  if (!isCalendarDate(birthDate)) throw new RangeError(`birth date "${birthDate}" is not a YYYY-MM-DD date`);
  if (!isCalendarDate(on)) throw new RangeError(`date "${on}" is not a YYYY-MM-DD date`);
  const years = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return on.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

export interface ChildrenOptions {
  groupKey?: string;
  birthDateKey?: string;
  adultAge?: number;
}

function childrenWithAge(answers: Answers, on: string, o: ChildrenOptions) {
  const items = answers[o.groupKey ?? 'children'];
  if (!Array.isArray(items)) return [];
  return items.flatMap((child) => {
    if (!isPlainObject(child)) return [];
    const birthDate = child[o.birthDateKey ?? 'birth_date'];
    return isCalendarDate(birthDate) ? [{ child: child as GroupItem, age: childAgeOn(birthDate, on) }] : [];
  });
}

/**
 * Children who are adults on `on`. Grown-up children stay in the answers (their birthdays still matter to
 * their parents); these helpers only classify, so offers for minors can skip them.
 */
export function adultChildren(answers: Answers, on: string, options: ChildrenOptions = {}): GroupItem[] {
  const adult = options.adultAge ?? 18;
  return childrenWithAge(answers, on, options)
    .filter((c) => c.age >= adult)
    .map((c) => c.child);
}

/** Children under age on `on`, including one whose birth date is still ahead (age below 0). */
export function minorChildren(answers: Answers, on: string, options: ChildrenOptions = {}): GroupItem[] {
  const adult = options.adultAge ?? 18;
  return childrenWithAge(answers, on, options)
    .filter((c) => c.age < adult)
    .map((c) => c.child);
}
