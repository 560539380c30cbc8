import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../test/support/api-fixture';
import { tableChecksums } from '../test/support/table-checksums';
import { corrupt, hostile, hostileKinds, plausible, randomOf, type JsonSchema } from './fuzz-bodies';

/** A random seed per run, printed with every failure; `FUZZ_SEED=<n>` replays one. */
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const rnd = randomOf(seed);

const api = useApiFixture('fuzz');

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
interface Spec {
  paths: Record<string, { get?: Operation; post?: Operation; put?: Operation }>;
}

let seq = 0;
const send = (method: string, url: string, token: string, text?: string) =>
  api.app.inject({
    method: method as 'GET',
    url,
    headers: {
      authorization: `Bearer ${token}`,
      'idempotency-key': `fuzz-${seed}-${(seq += 1)}`,
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(text === undefined ? {} : { payload: text }),
  });

/**
 * The URL with its path parameters and its query (`all`, or the required part and a random rest)
 * filled with `value`'s URL-encoded text.
 */
function urlOf(path: string, op: Operation, value: (p: Parameter) => string, all = false): string {
  const params = op.parameters ?? [];
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    value(params.find((p) => p.name === name && p.in === 'path')!),
  );
  const query = params
    .filter((p) => p.in === 'query' && (all || p.required || rnd() < 0.5))
    .map((p) => `${p.name}=${value(p)}`);
  return query.length ? `${filled}?${query.join('&')}` : filled;
}

const plausibleParam = (p: Parameter) => encodeURIComponent(String(plausible(p.schema, rnd)));
/**
 * What no parameter accepts: a NUL anywhere, and in a path bytes that are no UTF-8 (half a surrogate
 * pair's encoding; a query keeps such escapes as the text they are).
 */
const hostileParam = (i: number) => (p: Parameter) => (p.in === 'path' && i % 2 ? '%ED%A0%80' : 'a%00b');

const refusedWell = (r: LightMyRequestResponse) =>
  r.statusCode >= 400 &&
  r.statusCode < 500 &&
  (typeof r.json().error?.field === 'string' || r.statusCode === 404);

describe(`fuzzing every endpoint (seed ${seed}; FUZZ_SEED=${seed} replays it)`, () => {
  it('refuses malformed and hostile input with a 4xx naming the field and changes no row; plausible input never gets a 5xx', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as Spec;
    const tokens = [api.demo.tillApiKey, api.demo.backOfficeApiKey];
    const failures: string[] = [];
    const fail = (what: string, r: LightMyRequestResponse) =>
      failures.push(`${what} → ${r.statusCode} ${r.body.slice(0, 300)}`);
    let routes = 0;
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods) as Array<[string, Operation]>) {
        routes += 1;
        const schema = op.requestBody?.content['application/json']?.schema;
        const before = await tableChecksums(api.t.db);
        for (let i = 0; i < 12; i += 1) {
          const token = tokens[i % 2]!;
          const url = urlOf(path, op, plausibleParam);
          if (schema) {
            const body = plausible(schema, rnd);
            const broken = JSON.stringify(corrupt(body, schema, rnd));
            const r = await send(method, url, token, broken);
            if (!refusedWell(r)) fail(`${method} ${url} ${broken.slice(0, 200)}`, r);
            const kind = hostileKinds[i % hostileKinds.length]!;
            const text = hostile(body, kind, rnd);
            if (text === undefined) continue;
            const h = await send(method, url, token, text);
            if (!refusedWell(h)) fail(`${method} ${url} ${kind} ${text.slice(0, 200)}`, h);
          } else if (op.parameters?.some((p) => p.in !== 'header')) {
            const url = urlOf(path, op, hostileParam(i), true);
            const r = await send(method, url, token);
            if (!refusedWell(r)) fail(`${method} ${url}`, r);
          }
        }
        const after = await tableChecksums(api.t.db);
        for (const table of Object.keys(after))
          if (after[table] !== before[table])
            failures.push(`${method} ${path}: malformed input changed ${table}`);
        for (let i = 0; i < 8; i += 1) {
          const url = urlOf(path, op, plausibleParam);
          const text = schema ? JSON.stringify(plausible(schema, rnd)) : undefined;
          const r = await send(method, url, tokens[i % 2]!, text);
          if (r.statusCode >= 500) fail(`${method} ${url} ${text?.slice(0, 200) ?? ''}`, r);
        }
      }
    }
    expect(routes).toBeGreaterThan(60);
    expect(failures, `FUZZ_SEED=${seed}`).toEqual([]);
    // Every route twenty times with row checksums around each: about a minute on two busy cores.
  }, 240_000);
});
