import fc from 'fast-check';

/**
 * Request bodies for fuzzing, built from a route's OpenAPI (JSON Schema) body: `plausible` fills
 * every property with a value of its declared type, bounds and pattern; `corrupt` then breaks one leaf
 * so that the body no longer matches its schema; `hostile` writes raw JSON text of the classes one
 * input layer refuses (unstorable strings, depth, repeated keys, inexact integers, absurd business
 * times). Every choice comes from `rnd`, so a seed replays a run.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  additionalProperties?: boolean | JsonSchema;
  pattern?: string;
  default?: unknown;
}

const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

/** A string matching `pattern`, drawn with fast-check from the run's random source. */
function matching(pattern: string, rnd: () => number): string {
  const seed = Math.floor(rnd() * 2 ** 31);
  return fc.sample(fc.stringMatching(new RegExp(pattern)), { seed, numRuns: 1 })[0]!;
}

/** A value of the schema's type within its bounds and pattern (not always valid: refinements are not). */
export function plausible(schema: JsonSchema, rnd: () => number, depth = 0): unknown {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return plausible(alternatives[Math.floor(rnd() * alternatives.length)]!, rnd, depth);
  if (schema.allOf?.[0]) return plausible(schema.allOf[0], rnd, depth);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[Math.floor(rnd() * schema.enum.length)];
  switch (typeOf(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (depth < 4 && (schema.required?.includes(key) || rnd() < 0.5))
          out[key] = plausible(prop, rnd, depth + 1);
      }
      return out;
    }
    case 'array':
      return depth < 4 && schema.items
        ? Array.from({ length: Math.max(schema.minItems ?? 0, 1) }, () =>
            plausible(schema.items!, rnd, depth + 1),
          )
        : [];
    case 'integer':
    case 'number': {
      const min = Math.max(schema.minimum ?? 0, -1_000_000);
      const max = Math.min(schema.maximum ?? 1_000_000, 1_000_000);
      return Math.floor(min + rnd() * (max - min + 1));
    }
    case 'boolean':
      return rnd() < 0.5;
    case 'string':
      if (schema.format === 'date-time') return '2026-11-25T12:00:00+03:00';
      if (schema.format === 'date') return '1990-05-17';
      if (schema.format === 'uri') return 'https://example.com/x.png';
      if (schema.format === 'email') return 'fuzz@example.com';
      if (schema.pattern) return matching(schema.pattern, rnd);
      return Array.from({ length: Math.max(schema.minLength ?? 1, 1 + Math.floor(rnd() * 12)) }, () =>
        String.fromCharCode(97 + Math.floor(rnd() * 26)),
      )
        .join('')
        .slice(0, schema.maxLength ?? 100);
    default:
      return null;
  }
}

/** Values no declared type accepts where another is expected. */
const wrongFor = (schema: JsonSchema): unknown[] => {
  switch (typeOf(schema)) {
    case 'string':
      return [42, true, { a: 1 }, ['x'], 'x'.repeat((schema.maxLength ?? 100_000) + 1)];
    case 'integer':
      return ['12', 1.5, -1e20, 1e20, null, []];
    case 'number':
      return ['12', null, {}];
    case 'boolean':
      return ['true', 0, null];
    case 'array':
      return [{}, 'x', 7];
    case 'object':
      return ['x', 7, [], null];
    default:
      return ['\u0000', -1];
  }
};

/** The body with one leaf replaced by a value of the wrong type or out of bounds. */
export function corrupt(body: unknown, schema: JsonSchema, rnd: () => number): unknown {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives || typeof body !== 'object' || body === null) {
    const options = wrongFor(schema);
    return options[Math.floor(rnd() * options.length)];
  }
  if (Array.isArray(body)) {
    if (body.length === 0 || !schema.items) return 'not-an-array';
    const k = Math.floor(rnd() * body.length);
    return body.map((x, i) => (i === k ? corrupt(x, schema.items!, rnd) : x));
  }
  const props = schema.properties ?? {};
  const keys = Object.keys(body).filter((k) => k in props);
  // An unknown member breaks only a closed object (zod's strict ones); a record takes any key, so
  // only a value of another type breaks it.
  if (schema.additionalProperties === false && (keys.length === 0 || rnd() < 0.15))
    return { ...body, unexpectedField: 1 };
  if (keys.length === 0) return wrongFor(schema)[Math.floor(rnd() * 4)];
  const key = keys[Math.floor(rnd() * keys.length)]!;
  return { ...body, [key]: corrupt((body as Record<string, unknown>)[key], props[key]!, rnd) };
}

/** Paths of the string leaves of a body (`['customer', 'value']`). */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
}

function replaced(value: unknown, path: readonly string[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === head ? replaced(v, rest, leaf) : v));
  const obj = value as Record<string, unknown>;
  return { ...obj, [head]: replaced(obj[head], rest, leaf) };
}

const pick = <T>(options: readonly T[], rnd: () => number): T => options[Math.floor(rnd() * options.length)]!;

/** Classes of hostile input, each as raw JSON text made from a plausible body; every one must be refused. */
export const hostileKinds = [
  'nul',
  'surrogate',
  'deep',
  'duplicate',
  'inexact',
  'ancient',
  'future',
] as const;
export type HostileKind = (typeof hostileKinds)[number];

/**
 * The body as raw JSON text with one hostile change of `kind`, or undefined where the body has no
 * place for it (no string leaf, no business time).
 */
export function hostile(body: unknown, kind: HostileKind, rnd: () => number): string | undefined {
  const text = JSON.stringify(body);
  const leaves = stringLeaves(body);
  switch (kind) {
    case 'nul':
    case 'surrogate': {
      if (leaves.length === 0) return undefined;
      const at = pick(leaves, rnd);
      // Escapes as a client writes them: raw, half a pair could not even be sent as UTF-8.
      const bad = kind === 'nul' ? 'a\\u0000b' : 'a\\ud800b';
      return JSON.stringify(replaced(body, at, '@@HOSTILE@@')).replace('@@HOSTILE@@', bad);
    }
    case 'deep': {
      const depth = 40 + Math.floor(rnd() * 10_000);
      return text.replace(/^\{/, `{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`).replace(',}', '}');
    }
    case 'duplicate': {
      const keys = Object.keys(body as object);
      if (keys.length === 0) return undefined;
      const key = pick(keys, rnd);
      return text.replace(
        /^\{/,
        `{${JSON.stringify(key)}:${JSON.stringify((body as Record<string, unknown>)[key])},`,
      );
    }
    case 'inexact':
      return text.replace(/^\{/, '{"inexact":9007199254740993,').replace(',}', '}');
    case 'ancient':
    case 'future': {
      const times = leaves.filter((p) => /^(occurredAt|registeredAt)$/.test(p.at(-1)!));
      if (times.length === 0) return undefined;
      const year = kind === 'ancient' ? pick(['0001', '1900'], rnd) : pick(['2200', '9999'], rnd);
      return JSON.stringify(replaced(body, pick(times, rnd), `${year}-06-01T12:00:00+03:00`));
    }
  }
}

export const randomOf = (seed: number) => {
  const sample = fc.sample(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
    numRuns: 10_000,
    seed,
  });
  let i = 0;
  return () => sample[i++ % sample.length]!;
};
