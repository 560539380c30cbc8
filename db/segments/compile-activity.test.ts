import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import { conditionSchema } from '../../engine/segments/definition';
import { conditionPredicate, eligibleCustomers } from './compile';
import { programVocabulary, segmentClock } from './references';

/**
 * The conditions on what customers did and hold, compiled and run on real PostgreSQL: events with
 * property tests, purchase lines by category, brand and store, points balance and points expiring,
 * coupons held and used, card types, static lists and other segments' membership.
 */

let t: TestDatabase;
let programId: number;
const stores: number[] = [];
const now = new Date('2026-12-07T09:00:00Z');
const day = 86_400_000;
const ago = (days: number) => new Date(now.getTime() - days * day);
const ids: Record<string, number> = {};

async function members(condition: unknown): Promise<string[]> {
  const { references, timeZone } = await programVocabulary(t.db, programId);
  const predicate = conditionPredicate(
    conditionSchema.parse(condition),
    references,
    segmentClock(now, timeZone),
  );
  const { rows } = await sql<{ id: string }>`select c.id from customers c
    where ${eligibleCustomers(programId)} and ${predicate}`.execute(t.db);
  const names = new Map(Object.entries(ids).map(([n, id]) => [id, n]));
  return rows.map((r) => names.get(Number(r.id))!).sort();
}

async function event(name: string, type: string, daysAgo: number, attributes: object) {
  await t.db
    .insertInto('customer_events')
    .values({
      event_id: randomUUID(),
      program_id: programId,
      customer_key: String(ids[name]),
      customer_id: ids[name]!,
      type,
      attributes: JSON.stringify(attributes),
      occurred_at: ago(daysAgo),
    } as never)
    .execute();
}

async function line(
  name: string,
  daysAgo: number,
  line: { sku: string; category: string[]; brand?: string; store?: number; returned?: number },
) {
  const store = line.store ?? stores[0]!;
  const { rows } = await sql<{
    id: number;
  }>`insert into purchases (program_id, store_id, customer_id, external_ref,
      occurred_at, local_date_time, amount, discount, final_amount, qualifying_amount, points_spent, points_earned,
      "check", result, payments)
    values (${programId}, ${store}, ${ids[name]}, ${randomUUID()}, ${ago(daysAgo)}, '2026-01-01T00:00:00',
      1000, 0, 1000, 1000, 0, 0, '{}', '{}', '[]') returning id`.execute(t.db);
  await sql`insert into purchase_lines (purchase_id, line, customer_id, store_id, occurred_at, sku, category, brand,
      unit_price, quantity, weighted, final_amount, returned_quantity)
    values (${rows[0]!.id}, 0, ${ids[name]}, ${store}, ${ago(daysAgo)}, ${line.sku}, ${line.category}::text[],
      ${line.brand ?? null}, 500, 2, false, 1000, ${line.returned ?? 0})`.execute(t.db);
}

async function points(
  name: string,
  balance: number,
  lots: { remaining: number; expiresInDays: number | null }[],
) {
  const account = await t.db
    .insertInto('accounts')
    .values({ program_id: programId, kind: 'points', currency: 'bonus', customer_id: ids[name]!, balance })
    .returning('id')
    .executeTakeFirstOrThrow();
  const entry = await t.db
    .insertInto('journal_entries')
    .values({ program_id: programId, kind: 'accrual', occurred_at: ago(30), actor: 'test', details: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const lot of lots) {
    await t.db
      .insertInto('lots')
      .values({
        account_id: account.id,
        entry_id: entry.id,
        occurred_at: ago(30),
        amount: lot.remaining,
        remaining: lot.remaining,
        activates_at: ago(30),
        expires_at: lot.expiresInDays === null ? null : new Date(now.getTime() + lot.expiresInDays * day),
      } as never)
      .execute();
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  for (const s of await t.db.selectFrom('stores').select(['id', 'code']).orderBy('id').execute())
    stores.push(s.id);
  for (const name of ['anna', 'boris', 'vera']) {
    const row = await t.db
      .insertInto('customers')
      .values({
        program_id: programId,
        referral_code: `REF${name.toUpperCase()}`,
        registration_channel: 'till',
        registered_at: ago(400),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[name] = row.id;
  }
  await event('anna', 'app.opened', 1, { screen: 'home', build: 12 });
  await event('anna', 'app.opened', 3, { screen: 'cart', build: 12 });
  await event('boris', 'app.opened', 2, { screen: 'home', build: 9 });
  await event('vera', 'app.opened', 40, { screen: 'cart' });
  await event('vera', 'order.placed', 1, { total: 5000, channel: { kind: 'web' } });
  await line('anna', 5, { sku: 'MILK', category: ['dairy', 'milk'], brand: 'Prostokvashino' });
  await line('boris', 5, { sku: 'TV', category: ['electronics'], brand: 'Acme', store: stores[1] });
  await line('vera', 5, { sku: 'MILK', category: ['dairy', 'milk'], returned: 2 });
  await points('anna', 900, [
    { remaining: 400, expiresInDays: 5 },
    { remaining: 500, expiresInDays: 90 },
  ]);
  await points('boris', 50, [{ remaining: 50, expiresInDays: null }]);
  const types = await t.db
    .insertInto('card_types')
    .values([
      { program_id: programId, code: 'plastic', name: 'Plastic' },
      { program_id: programId, code: 'virtual', name: 'Virtual' },
    ])
    .returning('id')
    .execute();
  await t.db
    .insertInto('cards')
    .values([
      {
        program_id: programId,
        card_type_id: types[0]!.id,
        number: '1001',
        status: 'active',
        customer_id: ids.anna!,
      },
      {
        program_id: programId,
        card_type_id: types[1]!.id,
        number: '1002',
        status: 'blocked',
        customer_id: ids.boris!,
      },
    ])
    .execute();
  const issue = await sql<{
    id: number;
  }>`insert into coupon_issues (program_id, code, name, kind, pattern, secret_key)
    values (${programId}, 'spring', 'Spring', 'single_use', '{}', '\\x00') returning id`.execute(t.db);
  const issueId = issue.rows[0]!.id;
  const coupon = async (name: string, code: string, status: string, expiresInDays: number) =>
    (
      await sql<{
        id: number;
      }>`insert into coupons (issue_id, program_id, code, customer_id, status, expires_at)
        values (${issueId}, ${programId}, ${code}, ${ids[name]}, ${status}, ${new Date(now.getTime() + expiresInDays * day)})
        returning id`.execute(t.db)
    ).rows[0]!.id;
  await coupon('anna', 'SP01', 'active', 10);
  await coupon('boris', 'SP02', 'active', -1);
  const used = await coupon('vera', 'SP03', 'redeemed', 10);
  await sql`insert into coupon_uses (program_id, coupon_id, issue_id, customer_id, holder, status, redeemed_at, changed_at)
    values (${programId}, ${used}, ${issueId}, ${ids.vera}, 'h', 'redeemed', ${ago(3)}, ${ago(3)})`.execute(
    t.db,
  );
  const list = await t.db
    .insertInto('segment_lists')
    .values({ program_id: programId, code: 'vip', name: 'VIP' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('segment_list_members')
    .values({ list_id: list.id, customer_id: ids.boris! })
    .execute();
  const segment = await t.db
    .insertInto('segments')
    .values({
      program_id: programId,
      code: 'seen',
      name: 'Seen',
      version: 1,
      definition: '{"type":"tier","tiers":["x"]}',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('segment_memberships')
    .values([
      { segment_id: segment.id, customer_id: ids.vera!, entered_at: ago(1) },
      { segment_id: segment.id, customer_id: ids.anna!, entered_at: ago(9), left_at: ago(2) },
    ])
    .execute();
});
afterAll(() => t.drop());

describe('the segment compiler on what customers did and hold', () => {
  it.each([
    [
      'opened the app twice in a week',
      { type: 'event', eventType: 'app.opened', windowDays: 7, count: { min: 2 } },
      ['anna'],
    ],
    [
      'opened the app at most once in a week',
      {
        type: 'event',
        eventType: 'app.opened',
        windowDays: 7,
        count: { max: 1 },
      },
      ['boris', 'vera'],
    ],
    [
      'an event property in a set',
      {
        type: 'event',
        eventType: 'app.opened',
        windowDays: 60,
        where: [{ property: 'screen', in: ['cart'] }],
      },
      ['anna', 'vera'],
    ],
    [
      'a numeric property range',
      {
        type: 'event',
        eventType: 'app.opened',
        windowDays: 7,
        where: [{ property: 'build', range: { min: 10 } }],
      },
      ['anna'],
    ],
    [
      'a nested property',
      {
        type: 'event',
        eventType: 'order.placed',
        windowDays: 7,
        where: [{ property: 'channel.kind', in: ['web'] }],
      },
      ['vera'],
    ],
    [
      'bought a category (returned lines do not count)',
      {
        type: 'purchases',
        windowDays: 30,
        metric: 'count',
        range: { min: 1 },
        filter: { categories: ['dairy'] },
      },
      ['anna'],
    ],
    [
      'bought a brand',
      {
        type: 'purchases',
        windowDays: 30,
        metric: 'amount',
        range: { min: 1000 },
        filter: { brands: ['Acme'] },
      },
      ['boris'],
    ],
    [
      'bought in a store',
      {
        type: 'purchases',
        windowDays: 30,
        metric: 'count',
        range: { min: 1 },
        filter: { stores: ['msk-01'] },
      },
      ['anna', 'vera'],
    ],
    ['a points balance of 100 or more', { type: 'balance', range: { min: 100 } }, ['anna']],
    ['no points (no account is none)', { type: 'balance', range: { max: 0 } }, ['vera']],
    ['points expiring within 7 days', { type: 'pointsExpiring', withinDays: 7, range: { min: 1 } }, ['anna']],
    ['holds a live coupon of an issue', { type: 'coupon', issue: 'spring', state: 'held' }, ['anna']],
    ['used a coupon in a week', { type: 'coupon', issue: 'spring', state: 'used', windowDays: 7 }, ['vera']],
    ['has an active card of a type', { type: 'cardType', cardTypes: ['plastic', 'virtual'] }, ['anna']],
    ['is on a static list', { type: 'list', list: 'vip' }, ['boris']],
    ['is in another segment now', { type: 'segment', segment: 'seen' }, ['vera']],
  ])('%s', async (_name, condition, expected) => {
    expect(await members(condition)).toEqual(expected);
  });
});
