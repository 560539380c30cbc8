import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../db/database';
import { recomputeProgramSegments } from '../db/segments';
import type { Logger } from '../platform/logger';
import { createLogger } from '../platform/logger';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { seedTestProgram } from '../test/support/program';
import {
  defineSegment,
  insertSegmentCustomer,
  membershipEvents,
  openMembers,
  queuedCustomers,
} from '../test/support/segments';
import { waitFor } from '../test/support/wait';
import { SegmentRefresher } from './segment-refresher';

const log = createLogger('test-refresher', 'silent');

describe('the segment refresher (worker)', () => {
  let t: TestDatabase;
  let programId: number;

  beforeAll(async () => {
    t = await createTestDatabase();
    programId = (await seedTestProgram(t.db)).programId;
  });
  afterAll(() => t.drop());

  const setGender = (customerId: number, gender: string) =>
    sql`update customers set profile = profile || jsonb_build_object('gender', ${gender}::text)
      where id = ${customerId}`.execute(t.db);

  it('picks up a queued customer within a second and stops cleanly, leaving later changes queued', async () => {
    const anna = await insertSegmentCustomer(t.db, programId, 'anna', { profile: { gender: 'male' } });
    const women = await defineSegment(t.db, programId, 'women', {
      type: 'profile',
      field: 'gender',
      in: ['female'],
    });
    await recomputeProgramSegments(t.db, { programId, now: new Date() });
    const refresher = new SegmentRefresher({ db: t.db, log, pollMs: 20 });
    refresher.start();
    try {
      await waitFor(async () => (await queuedCustomers(t.db)).length === 0, 5_000, 'the queue drained');
      const changedAt = Date.now();
      await setGender(anna, 'female');
      await waitFor(async () => (await openMembers(t.db, women)).includes(anna), 1_000, 'anna in women');
      expect(Date.now() - changedAt).toBeLessThan(1_000);
      expect(await queuedCustomers(t.db)).toEqual([]);
      expect(await membershipEvents(t.db)).toMatchObject([
        { segmentId: women, customerId: anna, entered: 1, left: 0 },
      ]);
    } finally {
      const stopping = Date.now();
      await refresher.stop();
      expect(Date.now() - stopping).toBeLessThan(1_000);
    }
    expect(refresher.stats).toMatchObject({ entered: 1, left: 0, errors: 0 });
    await setGender(anna, 'male');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await queuedCustomers(t.db)).toEqual([anna]);
    expect(await openMembers(t.db, women)).toEqual([anna]);
  });

  it('logs a warning and backs off while the database fails, and still stops at once', async () => {
    // A database that does not exist: every batch fails to connect.
    const broken = createDb(t.url.replace(/\/[^/]+$/, '/no_such_database'), { max: 1 });
    const warnings: unknown[] = [];
    const spy = { ...log, warn: (object: unknown) => warnings.push(object) } as unknown as Logger;
    const refresher = new SegmentRefresher({ db: broken, log: spy, pollMs: 10, maxBackoffMs: 200 });
    refresher.start();
    await waitFor(async () => refresher.stats.errors >= 3, 5_000, 'three failed batches');
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings[0]).toMatchObject({ failures: 1, backoffMs: 20 });
    expect(warnings[2]).toMatchObject({ failures: 3, backoffMs: 80 });
    const stopping = Date.now();
    await refresher.stop();
    expect(Date.now() - stopping).toBeLessThan(500);
    await broken.destroy();
  });
});
