import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import {
  day,
  defineSegment,
  freshMembers,
  insertPurchase,
  insertSegmentCustomer,
  membershipEvents,
  membershipSnapshot,
  openMembers,
  outboxCount,
  queuedCustomers,
  seededRandom,
} from '../../test/support/segments';
import {
  recomputeDueSegments,
  recomputeProgramSegments,
  recomputeSegment,
  refreshQueuedCustomers,
} from './membership';
import { archiveSegment, updateSegment } from './segments';

/**
 * Materialised membership on real PostgreSQL: the full recompute, the incremental refresh of queued
 * customers (the triggers queue them in the writing transaction), segments of segments, and the two
 * paths racing each other under concurrent purchases and profile edits.
 */

const now = new Date('2026-12-07T09:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * day);

let t: TestDatabase;
let programId: number;
let storeId: number;

beforeEach(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  storeId = (await t.db.selectFrom('stores').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
});
afterEach(() => t.drop());

const customer = (key: string, profile: object = {}) =>
  insertSegmentCustomer(t.db, programId, key, { profile });
const purchase = (customerId: number, daysAgo: number, amount: number) =>
  insertPurchase(t.db, { programId, storeId, customerId, occurredAt: ago(daysAgo), amount });
const setGender = (customerId: number, gender: string) =>
  sql`update customers set profile = profile || jsonb_build_object('gender', ${gender}::text)
    where id = ${customerId}`.execute(t.db);

/** Refreshes queued customers until the queue is empty; returns the batches' totals. */
async function drain() {
  const total = { customers: 0, entered: 0, left: 0 };
  for (;;) {
    const batch = await refreshQueuedCustomers(t.db, { now, limit: 50 });
    if (batch.customers === 0) break;
    total.customers += batch.customers;
    total.entered += batch.entered;
    total.left += batch.left;
  }
  return total;
}

const women = { type: 'profile', field: 'gender', in: ['female'] };
const womenOrFrequent = {
  type: 'any',
  conditions: [women, { type: 'purchases', windowDays: 30, metric: 'count', range: { min: 2 } }],
};

describe('full recompute', () => {
  it('writes exactly the members with one segment.entered each; again changes nothing; leaving is one segment.left', async () => {
    const anna = await customer('anna', { gender: 'female' });
    const vera = await customer('vera', { gender: 'female' });
    const boris = await customer('boris', { gender: 'male' });
    const gleb = await customer('gleb');
    await purchase(boris, 3, 1_000);
    await purchase(boris, 20, 1_000);
    await purchase(gleb, 3, 1_000);
    await purchase(gleb, 45, 1_000); // outside the window
    const segmentId = await defineSegment(t.db, programId, 'women_or_frequent', womenOrFrequent);

    const first = await recomputeSegment(t.db, { programId, segmentId, now });
    expect(first).toEqual({ entered: 3, left: 0, members: 3 });
    expect(await openMembers(t.db, segmentId)).toEqual([anna, vera, boris].sort((a, b) => a - b));
    expect(await membershipEvents(t.db)).toEqual(
      [anna, vera, boris]
        .sort((a, b) => a - b)
        .map((c) => ({
          segmentId,
          customerId: c,
          stream: `customer:${programId}:${c}`,
          entered: 1,
          left: 0,
        })),
    );
    const stamped = await t.db
      .selectFrom('segments')
      .select(['computed_at', 'member_count'])
      .where('id', '=', segmentId)
      .executeTakeFirstOrThrow();
    expect(stamped).toEqual({ computed_at: now, member_count: 3 });

    const snapshot = await membershipSnapshot(t.db);
    const events = await outboxCount(t.db);
    expect(await recomputeSegment(t.db, { programId, segmentId, now })).toEqual({
      entered: 0,
      left: 0,
      members: 3,
    });
    expect(await membershipSnapshot(t.db)).toEqual(snapshot);
    expect(await outboxCount(t.db)).toBe(events);

    await setGender(vera, 'male');
    expect(await recomputeSegment(t.db, { programId, segmentId, now })).toEqual({
      entered: 0,
      left: 1,
      members: 2,
    });
    expect(await openMembers(t.db, segmentId)).toEqual([anna, boris].sort((a, b) => a - b));
    expect(await outboxCount(t.db)).toBe(events + 1);
    expect((await membershipEvents(t.db)).find((e) => e.customerId === vera)).toMatchObject({
      entered: 1,
      left: 1,
    });
    const closed = await t.db
      .selectFrom('segment_memberships')
      .select(['entered_at', 'left_at'])
      .where('customer_id', '=', vera)
      .execute();
    expect(closed).toEqual([{ entered_at: now, left_at: now }]);
  });
});

describe('incremental refresh of queued customers', () => {
  it('a committed purchase or profile edit queues its customer; the refresh updates just them and empties the queue', async () => {
    const anna = await customer('anna', { gender: 'male' });
    const boris = await customer('boris', { gender: 'male' });
    const gleb = await customer('gleb', { gender: 'male' });
    const spenders = await defineSegment(t.db, programId, 'spenders', {
      type: 'purchases',
      windowDays: 30,
      metric: 'amount',
      range: { min: 10_000 },
    });
    const womenId = await defineSegment(t.db, programId, 'women', women);
    await recomputeProgramSegments(t.db, { programId, now });
    expect(await queuedCustomers(t.db)).toEqual([anna, boris, gleb].sort((a, b) => a - b));
    expect(await drain()).toEqual({ customers: 3, entered: 0, left: 0 });
    expect(await queuedCustomers(t.db)).toEqual([]);

    const annasPurchase = await purchase(anna, 1, 12_000);
    await purchase(boris, 1, 12_000);
    // Boris's change is taken off the queue: the refresh must leave him alone (only queued customers).
    await t.db.deleteFrom('segment_refreshes').where('customer_id', '=', boris).execute();
    expect(await queuedCustomers(t.db)).toEqual([anna]);
    const events = await outboxCount(t.db);
    expect(await refreshQueuedCustomers(t.db, { now })).toEqual({
      customers: 1,
      entered: 1,
      left: 0,
      failed: [],
    });
    expect(await openMembers(t.db, spenders)).toEqual([anna]);
    expect(await freshMembers(t.db, programId, spenders, now)).toEqual([anna, boris].sort((a, b) => a - b));
    expect(await outboxCount(t.db)).toBe(events + 1);
    expect(await queuedCustomers(t.db)).toEqual([]);

    await setGender(gleb, 'female');
    expect(await queuedCustomers(t.db)).toEqual([gleb]);
    expect(await refreshQueuedCustomers(t.db, { now })).toEqual({
      customers: 1,
      entered: 1,
      left: 0,
      failed: [],
    });
    expect(await openMembers(t.db, womenId)).toEqual([gleb]);
    expect(await openMembers(t.db, spenders)).toEqual([anna]);

    // A cancelled purchase takes Anna out: exactly one segment.left.
    await t.db
      .updateTable('purchases')
      .set({ status: 'cancelled' })
      .where('id', '=', annasPurchase)
      .execute();
    expect(await queuedCustomers(t.db)).toEqual([anna]);
    expect(await refreshQueuedCustomers(t.db, { now })).toEqual({
      customers: 1,
      entered: 0,
      left: 1,
      failed: [],
    });
    expect(await openMembers(t.db, spenders)).toEqual([]);
    expect(
      (await membershipEvents(t.db)).filter((e) => e.customerId === anna && e.segmentId === spenders),
    ).toMatchObject([{ entered: 1, left: 1, stream: `customer:${programId}:${anna}` }]);
    expect(await queuedCustomers(t.db)).toEqual([]);
  });
});

describe('what a change can move', () => {
  it('a purchase re-evaluates the segments reading purchases only; a change of the customer row, all', async () => {
    const vera = await customer('vera', { gender: 'male' });
    const buyersId = await defineSegment(t.db, programId, 'buyers', {
      type: 'purchases',
      windowDays: 30,
      metric: 'count',
      range: { min: 1 },
    });
    const womenId = await defineSegment(t.db, programId, 'women', women);
    await recomputeProgramSegments(t.db, { programId, now });
    await drain();
    // Her profile changes without its queue row, so only a refresh evaluating `women` would see it.
    await setGender(vera, 'female');
    await t.db.deleteFrom('segment_refreshes').execute();
    await purchase(vera, 1, 1_000);
    expect(await drain()).toEqual({ customers: 1, entered: 1, left: 0 });
    expect(await openMembers(t.db, buyersId)).toEqual([vera]);
    expect(await openMembers(t.db, womenId)).toEqual([]);
    await sql`update customers set questionnaire = '{}' where id = ${vera}`.execute(t.db);
    expect(await drain()).toEqual({ customers: 1, entered: 1, left: 0 });
    expect(await openMembers(t.db, womenId)).toEqual([vera]);
  });
});

describe('segments of segments', () => {
  it('a segment referring to another is evaluated after it, in the same refresh and the same recompute', async () => {
    // Codes chosen so that alphabetical order would evaluate the dependent one first.
    const base = await defineSegment(t.db, programId, 'z_base', women);
    const vip = await defineSegment(t.db, programId, 'a_vip', {
      type: 'all',
      conditions: [
        { type: 'segment', segment: 'z_base' },
        { type: 'purchases', windowDays: 30, metric: 'count', range: { min: 1 } },
      ],
    });
    const anna = await customer('anna', { gender: 'male' });
    await purchase(anna, 2, 5_000);
    const done = await recomputeProgramSegments(t.db, { programId, now });
    expect(done.map((d) => d.segment)).toEqual(['z_base', 'a_vip']);
    await drain();

    await setGender(anna, 'female');
    expect(await refreshQueuedCustomers(t.db, { now })).toEqual({
      customers: 1,
      entered: 2,
      left: 0,
      failed: [],
    });
    expect(await openMembers(t.db, base)).toEqual([anna]);
    expect(await openMembers(t.db, vip)).toEqual([anna]);
    await setGender(anna, 'male');
    expect(await refreshQueuedCustomers(t.db, { now })).toEqual({
      customers: 1,
      entered: 0,
      left: 2,
      failed: [],
    });
    expect(await openMembers(t.db, vip)).toEqual([]);

    // The full recompute, from a change nobody queued, also takes both in one pass.
    const vera = await customer('vera', { gender: 'female' });
    await purchase(vera, 2, 5_000);
    await t.db.deleteFrom('segment_refreshes').execute();
    const again = await recomputeProgramSegments(t.db, { programId, now });
    expect(again).toEqual([
      { segment: 'z_base', change: { entered: 1, left: 0, members: 1 } },
      { segment: 'a_vip', change: { entered: 1, left: 0, members: 1 } },
    ]);
    expect(await openMembers(t.db, vip)).toEqual([vera]);
  });
});

describe('segments due a full recompute', () => {
  it('computes a new definition, a changed one, and the segments reading one whose membership changed; then none is due', async () => {
    const anna = await customer('anna', { gender: 'female' });
    const boris = await customer('boris', { gender: 'male' });
    const womenId = await defineSegment(t.db, programId, 'women', women);
    const readerId = await defineSegment(t.db, programId, 'reader', { type: 'segment', segment: 'women' });
    const first = await recomputeDueSegments(t.db, { now });
    expect(first.map((d) => d.segment)).toEqual(['women', 'reader']);
    // The reader came after the women in the same pass, so it read their new membership: none is due.
    expect(await recomputeDueSegments(t.db, { now })).toEqual([]);
    expect(await openMembers(t.db, womenId)).toEqual([anna]);
    expect(await openMembers(t.db, readerId)).toEqual([anna]);

    await t.db.transaction().execute((trx) =>
      updateSegment(trx, {
        programId,
        actor: 'test',
        at: now,
        code: 'women',
        definition: { name: 'men now', condition: { type: 'profile', field: 'gender', in: ['male'] } },
      }),
    );
    const changed = await recomputeDueSegments(t.db, { now });
    expect(changed.map((d) => [d.segment, d.change.entered, d.change.left])).toEqual([['women', 1, 1]]);
    const dependents = await recomputeDueSegments(t.db, { now });
    expect(dependents.map((d) => [d.segment, d.change.entered, d.change.left])).toEqual([['reader', 1, 1]]);
    expect(await openMembers(t.db, readerId)).toEqual([boris]);
    expect(await recomputeDueSegments(t.db, { now })).toEqual([]);
  });
});

describe('a refresh racing an archive', () => {
  it('does not reopen a membership of a segment archived while the refresh ran', async () => {
    const segmentId = await defineSegment(t.db, programId, 'women', women);
    const anna = await customer('anna', { gender: 'female' });
    const vera = await customer('vera', { gender: 'male' });
    await recomputeProgramSegments(t.db, { programId, now });
    await drain();
    await setGender(vera, 'female');

    // The archive holds its transaction open (segment row locked, members closed) while a refresh
    // tries to bring Vera (now a woman) in; then the archive commits. The refresh waits for it and skips.
    let release!: () => void;
    let archived!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const closed = new Promise<void>((resolve) => (archived = resolve));
    const archive = t.db.transaction().execute(async (trx) => {
      await archiveSegment(trx, { programId, actor: 'test', at: now, code: 'women' });
      archived();
      await holding;
    });
    await closed;
    const refresh = refreshQueuedCustomers(t.db, { now });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await archive;
    expect(await refresh).toEqual({ customers: 1, entered: 0, left: 0, failed: [] });

    expect(await openMembers(t.db, segmentId)).toEqual([]);
    // Anna entered and left with the archive; Vera never entered an archived segment.
    expect(await membershipEvents(t.db)).toMatchObject([{ customerId: anna, entered: 1, left: 1 }]);
  });
});

describe('the incremental path racing a full recompute', () => {
  const seed = Number(process.env.SEGMENT_RACE_SEED ?? 20_261_207);

  it(`ends with the membership of a fresh evaluation and balanced events (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const customers: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      customers.push(await customer(`race${i}`, { gender: random() < 0.3 ? 'female' : 'male' }));
    }
    const active = await defineSegment(t.db, programId, 'active', {
      type: 'any',
      conditions: [women, { type: 'purchases', windowDays: 30, metric: 'count', range: { min: 3 } }],
    });
    const big = await defineSegment(t.db, programId, 'big', {
      type: 'all',
      conditions: [
        { type: 'segment', segment: 'active' },
        { type: 'purchases', windowDays: 30, metric: 'amount', range: { min: 40_000 } },
      ],
    });
    await recomputeProgramSegments(t.db, { programId, now });

    // 200 writes over 50 customers, decided up front from the seed; run 12 at a time.
    // Each write waits a few ms first, so the writes span several recomputes and refreshes.
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const ops = Array.from({ length: 200 }, () => {
      const op = write();
      const wait = Math.floor(random() * 20);
      return async () => {
        await pause(wait);
        await op();
      };
    });
    function write() {
      const customerId = pick(customers);
      const roll = random();
      if (roll < 0.55) {
        const daysAgo = Math.floor(random() * 40);
        const amount = 5_000 + Math.floor(random() * 25) * 1_000;
        return () => purchase(customerId, daysAgo, amount);
      }
      if (roll < 0.8) {
        const gender = random() < 0.5 ? 'female' : 'male';
        return () => setGender(customerId, gender);
      }
      return () =>
        sql`update purchases set status = 'cancelled' where id = (select id from purchases
          where customer_id = ${customerId} and status = 'confirmed' order by id limit 1)`.execute(t.db);
    }
    let writing = true;
    let recomputes = 0;
    let refreshed = 0;
    const writers = Array.from({ length: 12 }, async (_, w) => {
      for (let i = w; i < ops.length; i += 12) await ops[i]!();
    });
    const recomputing = (async () => {
      while (writing) {
        await recomputeSegment(t.db, { programId, segmentId: active, now });
        await recomputeSegment(t.db, { programId, segmentId: big, now });
        recomputes += 1;
      }
    })();
    const refreshers = Array.from({ length: 2 }, async () => {
      while (writing) {
        const batch = await refreshQueuedCustomers(t.db, { now, limit: 7 });
        refreshed += batch.customers;
        if (batch.customers === 0) await pause(5);
      }
    });
    const writes = Promise.allSettled(writers).then((settled) => {
      writing = false;
      return settled;
    });
    // Every loop runs to its end before the first failure is reported: nothing is left running.
    const settled = await Promise.allSettled([writes, recomputing, ...refreshers]);
    for (const outcome of [...(await writes), ...settled]) {
      if (outcome.status === 'rejected') throw outcome.reason;
    }
    expect(recomputes, `seed ${seed}`).toBeGreaterThan(2);
    expect(refreshed, `seed ${seed}`).toBeGreaterThan(10);

    await drain();
    expect(await queuedCustomers(t.db)).toEqual([]);

    const expectedActive = await freshMembers(t.db, programId, active, now);
    expect(await openMembers(t.db, active), `seed ${seed}`).toEqual(expectedActive);
    const expectedBig = await freshMembers(t.db, programId, big, now);
    expect(await openMembers(t.db, big), `seed ${seed}`).toEqual(expectedBig);
    expect(expectedActive.length, `seed ${seed}: a race with nobody in it proves little`).toBeGreaterThan(0);

    const { rows: doubled } = await sql`select segment_id, customer_id from segment_memberships
      where left_at is null group by 1, 2 having count(*) > 1`.execute(t.db);
    expect(doubled, `seed ${seed}`).toEqual([]);

    const events = await membershipEvents(t.db);
    for (const [segmentId, members] of [
      [active, expectedActive],
      [big, expectedBig],
    ] as const) {
      const balance = customers.map((c) => {
        const e = events.find((x) => x.segmentId === segmentId && x.customerId === c);
        return { customer: c, balance: (e?.entered ?? 0) - (e?.left ?? 0) };
      });
      expect(balance, `seed ${seed}, segment ${segmentId}`).toEqual(
        customers.map((c) => ({ customer: c, balance: members.includes(c) ? 1 : 0 })),
      );
    }
    expect(events.every((e) => e.stream === `customer:${programId}:${e.customerId}`)).toBe(true);
  });
});
