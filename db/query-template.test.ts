import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { queryTemplate } from './query-template';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('programs')
    .values([
      { code: 'a', name: 'A', currency: 'RUB', time_zone: 'Europe/Moscow' },
      { code: 'b', name: 'B', currency: 'EUR', time_zone: 'Europe/Berlin' },
    ])
    .execute();
});
afterAll(() => t.drop());

describe('query templates', () => {
  it('builds once and runs with each call’s values in their places', async () => {
    let builds = 0;
    const byCode = queryTemplate((db, v: { code: string; since: Date }) => {
      builds += 1;
      return db
        .selectFrom('programs')
        .select(['code', 'currency', sql<boolean>`${v.since} < now()`.as('past')])
        .where('code', '=', v.code)
        .where('currency', '<>', 'XXX');
    });
    const run = async (code: string) =>
      (await t.db.executeQuery(byCode(t.db, { code, since: new Date(0) }))).rows;
    expect(await run('a')).toEqual([{ code: 'a', currency: 'RUB', past: true }]);
    expect(await run('b')).toEqual([{ code: 'b', currency: 'EUR', past: true }]);
    expect(await run('c')).toEqual([]);
    expect(builds).toBe(1);
  });
});
