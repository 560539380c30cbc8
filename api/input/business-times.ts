import { z } from 'zod';

/** A member of a JSON Schema as far as finding business times needs it. */
interface SchemaNode {
  'x-business-time'?: boolean;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
}

/** A path to a business time: member names, `*` for every item of an array. */
type Path = readonly string[];

function pathsIn(node: SchemaNode, prefix: Path, out: Path[]): Path[] {
  if (node['x-business-time']) out.push(prefix);
  for (const [key, child] of Object.entries(node.properties ?? {})) pathsIn(child, [...prefix, key], out);
  if (node.items) pathsIn(node.items, [...prefix, '*'], out);
  for (const member of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])])
    pathsIn(member, prefix, out);
  return out;
}

const cache = new WeakMap<z.ZodType, Path[]>();

/**
 * Where a body schema declares business times (`businessTimeSchema`, marked `x-business-time`),
 * found once per schema. Free-form members (event attributes, questionnaire answers) declare none, so
 * a date a customer typed there is never taken for one.
 */
export function businessTimePaths(schema: z.ZodType): Path[] {
  let paths = cache.get(schema);
  if (!paths) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as SchemaNode;
    cache.set(schema, (paths = pathsIn(json, [], [])));
  }
  return paths;
}

/** The business times a body holds at `paths`, each with its field (`body.checks.2.occurredAt`). */
export function businessTimesAt(body: unknown, paths: readonly Path[]): Array<{ field: string; at: string }> {
  const found: Array<{ field: string; at: string }> = [];
  const visit = (value: unknown, rest: Path, field: string) => {
    if (rest.length === 0) {
      if (typeof value === 'string') found.push({ field, at: value });
      return;
    }
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === '*' && Array.isArray(value)) value.forEach((item, i) => visit(item, tail, `${field}.${i}`));
    else if (typeof value === 'object' && value !== null && head in value)
      visit((value as Record<string, unknown>)[head], tail, `${field}.${head}`);
  };
  for (const path of paths) visit(body, path, 'body');
  return found;
}
