import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { createDb, type DB } from './database';

let t: TestDatabase;
let one: DB;
beforeAll(async () => {
  t = await createTestDatabase();
  // One connection, so every query below shares its session.
  one = createDb(t.url, { max: 1 });
});
afterAll(async () => {
  await one.destroy();
  await t.drop();
});

const prepared = async () =>
  (
    await sql<{ name: string }>`select name from pg_prepared_statements where name like 'lf\\_%'`.execute(one)
  ).rows.map((r) => r.name);

describe('prepared statements', () => {
  it('prepares a data statement once per connection and runs it by name after', async () => {
    const query = () => one.selectFrom('programs').select('id').where('code', '=', 'x').execute();
    await query();
    const after = await prepared();
    await query();
    await query();
    expect(await prepared()).toEqual(after);
    // The query and this probe of pg_prepared_statements.
    expect(after).toHaveLength(2);
  });

  it('leaves statements of every column unnamed, which a new column would break', async () => {
    const before = await prepared();
    await one.selectFrom('programs').selectAll().where('code', '=', 'x').execute();
    await one.selectFrom('programs as p').selectAll('p').where('code', '=', 'y').execute();
    expect(await prepared()).toEqual(before);
  });

  it('leaves transaction control unnamed and stops naming at 200 texts per connection', async () => {
    await one.transaction().execute((trx) => trx.selectFrom('programs').select('code').execute());
    for (let n = 1; n <= 230; n += 1) {
      const ids = Array.from({ length: n }, (_, i) => i);
      await one.selectFrom('programs').select('id').where('id', 'in', ids).execute();
    }
    const names = await prepared();
    expect(names).toHaveLength(200);
    // Past the bound the queries still run, unnamed.
    const rows = await one.selectFrom('programs').select('id').where('id', 'in', [1, 2, 3]).execute();
    expect(rows).toEqual([]);
  });
});
