import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../test/support/api-fixture';
import { corrupt, plausible, randomOf, type JsonSchema } from './fuzz-bodies';

const api = useApiFixture('fuzz');

/** Rows in every table of the public schema: a malformed request must not change any count. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%'`.execute(
    api.t.db,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)}`.execute(
      api.t.db,
    );
    out[name] = rows[0]!.n;
  }
  return out;
}

interface Spec {
  paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: JsonSchema }> } } }>;
}

let seq = 0;
const post = (url: string, payload: unknown, token: string) =>
  api.app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${token}`,
      'idempotency-key': `fuzz-key-${(seq += 1)}`,
      'content-type': 'application/json',
    },
    payload: JSON.stringify(payload),
  });

describe('fuzzing every mutating endpoint', () => {
  it('malformed bodies answer 4xx naming a field and write nothing; plausible ones never answer 5xx', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as Spec;
    const routes = Object.entries(spec.paths)
      .filter(([path, methods]) => methods.post?.requestBody && !path.includes('{'))
      .map(([path, methods]) => ({
        path,
        schema: methods.post!.requestBody!.content['application/json']!.schema,
      }));
    expect(routes.length).toBeGreaterThan(30);
    const tokens = [api.demo.tillApiKey, api.demo.backOfficeApiKey];
    const failures: string[] = [];
    for (const { path, schema } of routes) {
      const rnd = randomOf(path.length * 7919);
      // Malformed: one leaf of a plausible body broken.
      const before = await rowCounts();
      for (let i = 0; i < 15; i += 1) {
        const body = corrupt(plausible(schema, rnd), schema, rnd);
        const r = await post(path, body, tokens[i % 2]!);
        if (r.statusCode < 400 || r.statusCode >= 500)
          failures.push(`${path} ${JSON.stringify(body)} → ${r.statusCode} ${r.body}`);
        else if (typeof r.json().error?.field !== 'string' && r.statusCode !== 401 && r.statusCode !== 403) {
          failures.push(`${path} → ${r.statusCode} without a field: ${r.body}`);
        }
      }
      const after = await rowCounts();
      if (JSON.stringify(after) !== JSON.stringify(before))
        failures.push(`${path}: a malformed body wrote rows`);
      // Plausible: well-typed values that name nothing that exists.
      for (let i = 0; i < 10; i += 1) {
        const body = plausible(schema, rnd);
        const r = await post(path, body, tokens[i % 2]!);
        if (r.statusCode >= 500) failures.push(`${path} ${JSON.stringify(body)} → ${r.statusCode} ${r.body}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
