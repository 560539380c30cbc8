import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SegmentRecomputeReport } from '../activities/segments';
import { ensureSegmentRecomputeSchedule } from '../platform/segment-schedule';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { seedTestProgram } from '../test/support/program';
import {
  day,
  defineSegment,
  freshMembers,
  insertSegmentCustomer,
  membershipEvents,
  openMembers,
} from '../test/support/segments';
import { startTestWorker, type TestWorker } from '../test/support/temporal';
import { waitFor } from '../test/support/wait';
import { segmentRecomputeWorkflow } from '../workflows/segments';

const histories = path.resolve(import.meta.dirname, '..', 'workflows', 'histories');

/** The scheduled full recompute on the real Temporal dev server, against a database of its own. */
describe('segment recompute workflow', () => {
  let t: TestDatabase;
  let worker: TestWorker;

  beforeAll(async () => {
    t = await createTestDatabase();
    worker = await startTestWorker(t.db);
  });
  afterAll(async () => {
    await worker.stop();
    await t.drop();
  });

  const run = (workflowId: string) =>
    worker.client.workflow.execute(segmentRecomputeWorkflow, { taskQueue: worker.taskQueue, workflowId });
  const record = async (workflowId: string, file: string) => {
    if (process.env.LOYALFLOW_RECORD_HISTORIES !== '1') return;
    const history = await worker.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(path.join(histories, file), JSON.stringify(JSON.parse(historyToJSON(history)), null, 2));
  };

  it('recomputes every program with active segments as of its start, reports, and a second run changes nothing', async () => {
    const none = await run('segment-recompute-test-none');
    expect(none.programs).toEqual([]);
    await record('segment-recompute-test-none', 'segment-recompute-none.json');

    const { programId } = await seedTestProgram(t.db);
    const now = Date.now();
    const fresh = await insertSegmentCustomer(t.db, programId, 'fresh', {
      registeredAt: new Date(now - 10 * day),
      profile: { gender: 'female' },
    });
    const aging = await insertSegmentCustomer(t.db, programId, 'aging', {
      registeredAt: new Date(now - 20 * day),
    });
    await insertSegmentCustomer(t.db, programId, 'old', { registeredAt: new Date(now - 100 * day) });
    const newcomers = await defineSegment(t.db, programId, 'newcomers', {
      type: 'registered',
      daysAgo: { max: 30 },
    });
    const newWomen = await defineSegment(t.db, programId, 'new_women', {
      type: 'all',
      conditions: [
        { type: 'segment', segment: 'newcomers' },
        { type: 'profile', field: 'gender', in: ['female'] },
      ],
    });
    const archived = await defineSegment(t.db, programId, 'archived', {
      type: 'registered',
      daysAgo: { min: 0 },
    });
    await t.db.updateTable('segments').set({ archived_at: new Date() }).where('id', '=', archived).execute();

    const first: SegmentRecomputeReport = await run('segment-recompute-test-1');
    expect(Math.abs(Date.parse(first.at) - Date.now())).toBeLessThan(60_000);
    expect(first.programs).toEqual([{ programId, segments: 2, entered: 3, left: 0, members: 3 }]);
    expect(await openMembers(t.db, newcomers)).toEqual([fresh, aging].sort((a, b) => a - b));
    expect(await openMembers(t.db, newWomen)).toEqual([fresh]);
    expect(await openMembers(t.db, archived)).toEqual([]);
    await record('segment-recompute-test-1', 'segment-recompute.json');

    const second = await run('segment-recompute-test-2');
    expect(second.programs).toEqual([{ programId, segments: 2, entered: 0, left: 0, members: 3 }]);

    // Time passes for "aging" (registered 40 days ago now); no data change queues them: only the
    // scheduled recompute takes them out.
    await t.db
      .updateTable('customers')
      .set({ registered_at: new Date(now - 40 * day) })
      .where('id', '=', aging)
      .execute();
    await t.db.deleteFrom('segment_refreshes').execute();
    const third = await run('segment-recompute-test-3');
    expect(third.programs).toEqual([{ programId, segments: 2, entered: 0, left: 1, members: 2 }]);
    expect(await openMembers(t.db, newcomers)).toEqual(
      await freshMembers(t.db, programId, newcomers, new Date(third.at)),
    );
    expect((await membershipEvents(t.db)).find((e) => e.customerId === aging)).toMatchObject({
      entered: 1,
      left: 1,
    });
  });

  it('the schedule starts the workflow on its task queue, one run at a time', async () => {
    const scheduleId = `segment-recompute-test-${worker.taskQueue}`;
    const options = { namespace: 'default', taskQueue: worker.taskQueue, everySeconds: 86_400, scheduleId };
    expect(await ensureSegmentRecomputeSchedule(worker.client.connection, options)).toBe('created');
    expect(await ensureSegmentRecomputeSchedule(worker.client.connection, options)).toBe('updated');
    const handle = worker.client.schedule.getHandle(scheduleId);
    try {
      const described = await handle.describe();
      expect(described.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'segmentRecomputeWorkflow',
        taskQueue: worker.taskQueue,
      });
      expect(described.policies.overlap).toBe('SKIP');
      expect(described.spec.intervals?.[0]?.every).toBe(86_400_000);
      await handle.trigger();
      const started: string = await waitFor(
        async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId ?? '',
        10_000,
        'a run started by the schedule',
      );
      const report: SegmentRecomputeReport = await worker.client.workflow.getHandle(started).result();
      const open = await t.db
        .selectFrom('segment_memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('left_at', 'is', null)
        .executeTakeFirstOrThrow();
      expect(report.programs).toHaveLength(1);
      expect(report.programs[0]).toMatchObject({ segments: 2, members: Number(open.n) });
    } finally {
      await handle.delete();
    }
  });
});
