import { z } from 'zod';
import { DomainError } from '../errors';

/**
 * The JSON Schema a marketer registers for an event type's properties. It is standard JSON Schema
 * (draft 2020-12), limited to the keywords every event needs and zod checks exactly (z.fromJSONSchema):
 * types, enums and constants, string lengths, patterns and formats, number bounds, arrays and nested
 * objects with required members and additionalProperties. Anything else (`$ref`, `oneOf`, `if`, unknown
 * keywords) is refused naming its place, so a stored schema always means what it says and stays
 * readable by any JSON Schema tool. The root describes an object: the properties of one event.
 */

const jsonTypes = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'] as const;
type JsonType = (typeof jsonTypes)[number];

/** Formats zod checks (others would silently pass anything). */
export const propertyFormats = [
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'uri',
  'uuid',
  'hostname',
  'ipv4',
  'ipv6',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const count = z.int().min(0).max(1_000_000);

export interface PropertySchemaNode {
  type?: JsonType | JsonType[];
  title?: string;
  description?: string;
  enum?: Array<string | number | boolean | null>;
  const?: string | number | boolean | null;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: (typeof propertyFormats)[number];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  items?: PropertySchemaNode;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, PropertySchemaNode>;
  required?: string[];
  additionalProperties?: boolean | PropertySchemaNode;
}

/** Which keywords apply to which type: a keyword of another type is a mistake, refused. */
const keywordTypes: Partial<Record<keyof PropertySchemaNode, JsonType[]>> = {
  minLength: ['string'],
  maxLength: ['string'],
  pattern: ['string'],
  format: ['string'],
  minimum: ['number', 'integer'],
  maximum: ['number', 'integer'],
  exclusiveMinimum: ['number', 'integer'],
  exclusiveMaximum: ['number', 'integer'],
  multipleOf: ['number', 'integer'],
  items: ['array'],
  minItems: ['array'],
  maxItems: ['array'],
  uniqueItems: ['array'],
  properties: ['object'],
  required: ['object'],
  additionalProperties: ['object'],
};

const typesOf = (node: PropertySchemaNode): JsonType[] =>
  node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];

function validPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

export const propertySchemaNodeSchema: z.ZodType<PropertySchemaNode> = z
  .object({
    type: z.union([z.enum(jsonTypes), z.array(z.enum(jsonTypes)).min(1).max(7)]).optional(),
    title: z.string().max(200).optional(),
    description: z.string().max(2_000).optional(),
    enum: z.array(scalar).min(1).max(1_000).optional(),
    const: scalar.optional(),
    minLength: count.optional(),
    maxLength: count.optional(),
    pattern: z.string().max(1_000).refine(validPattern, 'not a valid regular expression').optional(),
    format: z.enum(propertyFormats).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    multipleOf: z.number().positive().optional(),
    get items() {
      return propertySchemaNodeSchema.optional();
    },
    minItems: count.optional(),
    maxItems: count.optional(),
    uniqueItems: z.boolean().optional(),
    get properties() {
      return z.record(z.string().min(1).max(200), propertySchemaNodeSchema).optional();
    },
    required: z.array(z.string().min(1).max(200)).max(1_000).optional(),
    get additionalProperties() {
      return z.union([z.boolean(), propertySchemaNodeSchema]).optional();
    },
  })
  .strict()
  .superRefine((node, ctx) => {
    const types = typesOf(node);
    if (types.length === 0 && node.enum === undefined && node.const === undefined)
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'give a type (or an enum or const)' });
    if (new Set(types).size !== types.length)
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'a type is listed twice' });
    for (const [keyword, allowed] of Object.entries(keywordTypes)) {
      if (node[keyword as keyof PropertySchemaNode] === undefined) continue;
      if (!allowed!.some((type) => types.includes(type)))
        ctx.addIssue({
          code: 'custom',
          path: [keyword],
          message: `${keyword} applies to ${allowed!.join(' or ')} values; the type is ${types.join(', ') || 'not given'}`,
        });
    }
    const pairs: Array<[keyof PropertySchemaNode, keyof PropertySchemaNode]> = [
      ['minLength', 'maxLength'],
      ['minimum', 'maximum'],
      ['minItems', 'maxItems'],
    ];
    for (const [low, high] of pairs) {
      const [a, b] = [node[low], node[high]] as [number | undefined, number | undefined];
      if (a !== undefined && b !== undefined && a > b)
        ctx.addIssue({ code: 'custom', path: [low], message: `${low} is above ${high}` });
    }
    (node.required ?? []).forEach((name, i) => {
      if (!node.properties || !(name in node.properties))
        ctx.addIssue({
          code: 'custom',
          path: ['required', i],
          message: `"${name}" is required but not among the properties`,
        });
    });
  });

/** The root: an object schema, with an optional `$schema` naming draft 2020-12. */
export const propertiesSchemaSchema = z
  .object({ $schema: z.literal('https://json-schema.org/draft/2020-12/schema').optional() })
  .catchall(z.unknown())
  .superRefine((root, ctx) => {
    const { $schema: _, ...node } = root;
    if (node.type !== 'object')
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'the properties of an event are an object' });
    const parsed = propertySchemaNodeSchema.safeParse(node);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          ctx.addIssue({
            code: 'custom',
            path: [...issue.path, key],
            message: `"${key}" is not a keyword event schemas support`,
          });
      } else ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  })
  .describe(
    'JSON Schema (draft 2020-12) of the properties: an object; types, enum, const, string lengths, pattern, format, number bounds, multipleOf, items, min/maxItems, uniqueItems, properties, required, additionalProperties',
  );

export type PropertiesSchema = z.infer<typeof propertiesSchemaSchema>;

/** Where a zod issue points, as a dotted field under `prefix` (`propertiesSchema.properties.total`). */
export function fieldOf(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].join('.');
}

/** Checks a registered schema; a mistake is a 422 naming its place under `field`. */
export function checkPropertiesSchema(raw: unknown, field = 'propertiesSchema'): PropertiesSchema {
  const parsed = propertiesSchemaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError('invalid_properties_schema', issue.message, 422, fieldOf(field, issue.path));
  }
  // The subset is one zod reads exactly; a failure here would be a keyword combination it refuses.
  try {
    z.fromJSONSchema(parsed.data as z.core.JSONSchema.JSONSchema);
  } catch (error) {
    throw new DomainError('invalid_properties_schema', (error as Error).message, 422, field);
  }
  return parsed.data;
}

/** A registered schema as the zod schema that checks events' properties. */
export function propertiesChecker(schema: PropertiesSchema): z.ZodType {
  return z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
}

/**
 * Why `properties` do not match their type's checker, as the first issue's field under `field`
 * (`properties.total`, `events.3.properties.lines.0.sku`), or null when they do.
 */
export function propertiesMismatch(
  checker: z.ZodType,
  properties: unknown,
  field = 'properties',
): { field: string; message: string } | null {
  const parsed = checker.safeParse(properties);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  // An unrecognised key is reported on its object; name the key itself.
  const path =
    issue.code === 'unrecognized_keys' && issue.keys.length > 0
      ? [...issue.path, issue.keys[0]!]
      : issue.path;
  return { field: fieldOf(field, path), message: issue.message };
}
