import { z } from 'zod';

/**
 * The variables a message template may use: the catalogue the studio and the docs show, the shape
 * db/messaging/template-variables.ts fills for a real customer, and the check of a template's names.
 */

export const templateVariableTypeSchema = z.enum(['string', 'number', 'date', 'object', 'array']);
export type TemplateVariableType = z.infer<typeof templateVariableTypeSchema>;

export const templateVariableInfoSchema = z.object({
  path: z.string().describe('as written in Liquid; [] marks an item of a list, * any key'),
  type: templateVariableTypeSchema,
  description: z.string(),
});
export type TemplateVariableInfo = z.infer<typeof templateVariableInfoSchema>;

export const templateVariableCatalogueSchema = z.object({ variables: z.array(templateVariableInfoSchema) });

const v = (path: string, type: TemplateVariableType, description: string): TemplateVariableInfo => ({
  path,
  type,
  description,
});

/** Dates are ISO 8601 strings: `| date: "%d.%m.%Y"` prints them in the customer's time zone. */
export const templateVariableCatalogue: readonly TemplateVariableInfo[] = [
  v('customer', 'object', 'The customer the message goes to'),
  v('customer.firstName', 'string', 'First name from the profile; empty when unknown'),
  v('customer.lastName', 'string', 'Last name from the profile'),
  v('customer.name', 'string', 'First and last name together'),
  v('customer.email', 'string', "The customer's e-mail"),
  v('customer.phone', 'string', 'The phone, masked: +7 916 ***-**-67'),
  v('customer.locale', 'string', 'The language the customer chose (ru, en…)'),
  v('customer.referralCode', 'string', "The customer's code to invite friends with"),
  v('customer.birthDate', 'date', 'Date of birth, YYYY-MM-DD'),
  v('customer.attributes', 'object', 'Questionnaire answers by question key'),
  v('customer.attributes.*', 'string', 'Any answer: customer.attributes.pets, customer.attributes.shoeSize'),
  v('program', 'object', 'The loyalty program'),
  v('program.name', 'string', "The program's name"),
  v('program.currency', 'string', 'ISO 4217 code of the program currency, e.g. RUB'),
  v('balance', 'object', "The customer's balances now"),
  v('balance.points', 'number', 'Points available to spend'),
  v('balance.cash', 'number', 'Stored-value money in minor units (kopecks); | money prints it'),
  v('balance.cashFormatted', 'string', 'Stored-value money printed: 1 234,50 ₽'),
  v('lotsExpiring', 'array', 'Points that expire within 30 days, soonest first'),
  v('lotsExpiring[].points', 'number', 'Points of one lot still unspent'),
  v('lotsExpiring[].expiresAt', 'date', 'When they expire'),
  v('lotsExpiringTotal', 'number', 'All points expiring within 30 days'),
  v('lotsExpiringFirstDate', 'date', 'When the first of them expire; empty when none do'),
  v('coupon', 'object', 'The coupon the message is about, when there is one'),
  v('coupon.code', 'string', 'The code to show at the till'),
  v('coupon.name', 'string', "The coupon issue's name"),
  v('coupon.expiresAt', 'date', 'When the coupon stops being valid; empty when never'),
  v('tier', 'object', "The customer's tier, when the program has tiers"),
  v('tier.name', 'string', 'Name of the current tier'),
  v('tier.code', 'string', 'Code of the current tier'),
  v('tier.nextName', 'string', 'Name of the tier above; empty at the top'),
  v('code', 'string', 'A one-time code (transactional messages)'),
  v('link', 'string', 'An activation link or a link to the Viber or Telegram bot'),
  v('unsubscribeUrl', 'string', 'Where the customer withdraws consent to this topic'),
  v('message', 'object', 'The message being sent'),
  v('message.id', 'string', 'Its id in the message log'),
];

/** What the catalogue describes, as rendering receives it. */
export interface TemplateVariables {
  customer?: {
    firstName: string;
    lastName: string;
    name: string;
    email: string;
    phone: string;
    locale: string;
    referralCode: string;
    birthDate: string;
    attributes: Record<string, unknown>;
  };
  program: { name: string; currency: string };
  balance?: { points: number; cash: number; cashFormatted: string };
  lotsExpiring?: Array<{ points: number; expiresAt: string }>;
  lotsExpiringTotal?: number;
  lotsExpiringFirstDate?: string | null;
  coupon?: { code: string; name: string; expiresAt: string | null };
  tier?: { name: string; code: string; nextName: string | null };
  code?: string;
  link?: string;
  unsubscribeUrl?: string;
  message?: { id: string };
}

interface Node {
  type: TemplateVariableType;
  children: Map<string, Node>;
  /** `*`: any key below is allowed. */
  open: boolean;
  /** An array's item. */
  item?: Node;
}

const node = (type: TemplateVariableType): Node => ({ type, children: new Map(), open: false });

const tree: Node = (() => {
  const root = node('object');
  for (const info of templateVariableCatalogue) {
    const names = info.path.split('.');
    let at = root;
    for (const [i, raw] of names.entries()) {
      const last = i === names.length - 1;
      if (raw === '*') {
        at.open = true;
        break;
      }
      const isItem = raw.endsWith('[]');
      const name = isItem ? raw.slice(0, -2) : raw;
      let next = at.children.get(name);
      if (!next) at.children.set(name, (next = node(last ? info.type : 'object')));
      if (isItem) next = next.item ??= node(last ? info.type : 'object');
      at = next;
    }
  }
  return root;
})();

/**
 * The unknown name in a variable's path (as liquidjs's analysis gives it: names, indexes, and nested
 * variables for `a[b]`), or undefined when the catalogue has it. Liquid's own `size`, `first` and
 * `last` are allowed where they apply; a path turns dynamic at a nested variable and is not followed.
 */
export function unknownVariable(segments: readonly unknown[]): string | undefined {
  let at = tree;
  for (const [i, segment] of segments.entries()) {
    if (typeof segment !== 'string' && typeof segment !== 'number') return undefined;
    if (at.open) return undefined;
    const name = String(segment);
    if (at.item && (typeof segment === 'number' || name === 'first' || name === 'last')) {
      at = at.item;
      continue;
    }
    if (name === 'size' && i > 0 && at.type !== 'number') return undefined;
    const next = at.children.get(name);
    if (!next) return pathOf(segments.slice(0, i + 1));
    at = next;
  }
  return undefined;
}

const pathOf = (segments: readonly unknown[]) =>
  segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('');

/**
 * The value a path reads from variables, following names and indexes up to the first nested variable
 * (what the preview shows beside the rendered text).
 */
export function valueAt(variables: TemplateVariables, segments: readonly unknown[]): unknown {
  let value: unknown = variables;
  for (const segment of staticPart(segments)) {
    if (segment === 'size' && (Array.isArray(value) || typeof value === 'string')) return value.length;
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value) && (segment === 'first' || segment === 'last')) {
      value = segment === 'first' ? value[0] : value.at(-1);
      continue;
    }
    value = Object.hasOwn(value, segment) ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  return value;
}

/** The dotted form of a path, for messages and the preview's list of variables used. */
export const variablePath = (segments: readonly unknown[]): string => pathOf(staticPart(segments));

/** The names and indexes before the first nested variable. */
function staticPart(segments: readonly unknown[]): Array<string | number> {
  const end = segments.findIndex((s) => typeof s !== 'string' && typeof s !== 'number');
  return (end < 0 ? segments : segments.slice(0, end)) as Array<string | number>;
}
