import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { seedTestProgram } from '../test/support/program';
import { fillLines } from './catalogue/fill-lines';
import { ChangeFeed, type ChangeCache } from './change-feed';
import { createDb, type DB } from './database';

let t: TestDatabase;
/** Another connection, as another API process or the back office would write. */
let other: DB;
let feed: ChangeFeed;
let programId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  other = createDb(t.url, { max: 2 });
  feed = await ChangeFeed.open(t.db);
});
afterAll(async () => {
  await feed?.close();
  await other?.destroy();
  await t?.drop();
});

/** Polls briefly (10 ms steps) until `check` holds: notifications arrive within milliseconds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A cache of a product's name with a count of its loads. */
function productNames(): {
  cache: ChangeCache<string | null>;
  loads: () => number;
  get: () => Promise<string | null>;
} {
  const cache = feed.cache<string | null>(['products'], 100);
  let loads = 0;
  const load = async () => {
    loads += 1;
    const row = await t.db
      .selectFrom('products')
      .select('name')
      .where('sku', '=', 'FEED-1')
      .executeTakeFirst();
    return row?.name ?? null;
  };
  return { cache, loads: () => loads, get: () => cache.get('FEED-1', load) };
}

/** Upserts product FEED-1 from the other connection and waits until the feed has its notification. */
async function upsertProduct(name: string): Promise<void> {
  const witness = feed.cache<boolean>(['products'], 1);
  await witness.get('seen', async () => true);
  expect(witness.size).toBe(1);
  await other
    .insertInto('products')
    .values({ program_id: programId, sku: 'FEED-1', name, category: ['test'] })
    .onConflict((oc) => oc.columns(['program_id', 'sku']).doUpdateSet({ name }))
    .execute();
  await until(() => witness.size === 0, 'the notification arrives');
}

describe('change feed', () => {
  it('serves a cached value without loading it again, absence included', async () => {
    expect(feed.isListening).toBe(true);
    const names = productNames();
    expect(await names.get()).toBeNull();
    expect(await names.get()).toBeNull();
    expect(names.loads()).toBe(1);
    expect(names.cache.size).toBe(1);
  });

  it('drops a value when another connection changes its table, before the next get', async () => {
    const names = productNames();
    await upsertProduct('First');
    expect(await names.get()).toBe('First');
    const loads = names.loads();
    await upsertProduct('Second');
    expect(names.cache.size).toBe(0);
    expect(await names.get()).toBe('Second');
    expect(await names.get()).toBe('Second');
    expect(names.loads()).toBe(loads + 1);
  });

  it('keeps nothing of a load that a change raced', async () => {
    const names = productNames();
    const raced = await names.cache.get('FEED-1', async () => {
      const before = await t.db
        .selectFrom('products')
        .select('name')
        .where('sku', '=', 'FEED-1')
        .executeTakeFirst();
      await upsertProduct('Raced');
      return before?.name ?? null;
    });
    expect(raced).not.toBe('Raced');
    expect(names.cache.size).toBe(0);
    expect(await names.get()).toBe('Raced');
  });

  it('does not keep a failed load', async () => {
    const cache = feed.cache<number>(['products'], 100);
    await expect(cache.get('x', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.size).toBe(0);
    expect(await cache.get('x', async () => 7)).toBe(7);
  });

  it('starts over past its bound', async () => {
    const cache = feed.cache<number>(['products'], 2);
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => 1);
    expect(cache.size).toBe(1);
  });

  it('reads the database while its listener is lost and caches again once it listens again', async () => {
    const names = productNames();
    await names.get();
    const killed = await sql<{ killed: boolean }>`
      select pg_terminate_backend(pid) as killed from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and query = 'select pg_notify($1, $2)'`.execute(other);
    expect(killed.rows).toEqual([{ killed: true }]);
    await until(() => !feed.isListening, 'the listener is lost');
    expect(names.cache.size).toBe(0);
    const loads = names.loads();
    await names.get();
    await names.get();
    expect(names.loads()).toBe(loads + 2);
    expect(names.cache.size).toBe(0);
    // A get past the retry second listens again.
    await until(async () => {
      await names.get();
      return feed.isListening;
    }, 'the feed listens again');
    const resumed = names.loads();
    await names.get();
    await names.get();
    expect(names.loads()).toBe(resumed + 1);
    await upsertProduct('After reconnect');
    expect(names.cache.size).toBe(0);
    expect(await names.get()).toBe('After reconnect');
  });

  it('drops a listener whose connection stops answering, and listens again once it can', async () => {
    const listeners = async () =>
      (
        await sql<{ pid: number }>`select pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and query = 'select pg_notify($1, $2)'`.execute(other)
      ).rows.map((r) => r.pid);
    const before = await listeners();
    const db = createDb(t.url, { max: 3 });
    const quick = await ChangeFeed.open(db, { heartbeatMs: 100, probeTimeoutMs: 300 });
    try {
      expect(quick.isListening).toBe(true);
      const [pid] = (await listeners()).filter((p) => !before.includes(p));
      // A backend that stops answering, as behind a firewall that dropped the connection silently.
      process.kill(pid!, 'SIGSTOP');
      try {
        await until(() => !quick.isListening, 'the silent listener is dropped');
      } finally {
        process.kill(pid!, 'SIGCONT');
      }
      await until(() => quick.live(), 'the feed listens again');
    } finally {
      await quick.close();
      await db.destroy();
    }
  });

  it('fills lines from the cache, querying only the SKUs it lacks', async () => {
    let queries = 0;
    const counting = t.db.withPlugin({
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    await upsertProduct('Filled');
    await fillLines(counting, programId, [{ sku: 'FEED-1' }], feed);
    queries = 0;
    const lines = await fillLines(counting, programId, [{ sku: 'FEED-1' }, { sku: 'NONE' }], feed);
    expect(lines.map((l) => l.name)).toEqual(['Filled', '']);
    expect(queries).toBe(1);
    await fillLines(counting, programId, [{ sku: 'NONE' }, { sku: 'FEED-1' }], feed);
    expect(queries).toBe(1);
  });

  it('reads the database once closed', async () => {
    const closing = await ChangeFeed.open(t.db);
    expect(closing.isListening).toBe(true);
    const cache = closing.cache<number>(['products'], 10);
    let loads = 0;
    await closing.close();
    expect(closing.isListening).toBe(false);
    await cache.get('x', async () => (loads += 1));
    await cache.get('x', async () => (loads += 1));
    expect(loads).toBe(2);
  });
});
