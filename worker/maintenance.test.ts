import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAccount } from '../db/customers/accounts';
import { seedDemoProgram } from '../db/demo-program';
import { accruePoints, pointsBalance } from '../db/ledger/points';
import { insertCustomer } from '../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { startTestWorker, type TestWorker } from '../test/support/temporal';
import { maintenanceWorkflow } from '../workflows/maintenance';

const historyFile = path.resolve(import.meta.dirname, '..', 'workflows', 'histories', 'maintenance.json');

describe('maintenance', () => {
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

  it('a round burns expired points as of the time it runs, and a second round changes nothing', async () => {
    const { programId } = (await seedDemoProgram(t.db))!;
    const customerId = await insertCustomer(t.db, programId, 'maintenance');
    const accountId = await t.db
      .transaction()
      .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
    const earnedAt = new Date('2025-01-01T00:00:00Z');
    await t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: earnedAt,
        actor: 'test',
        accountId,
        amount: 70,
        lot: { activatesAt: earnedAt, expiresAt: new Date('2025-06-01T00:00:00Z') },
      }),
    );
    const run = (id: string) =>
      worker.client.workflow.execute(maintenanceWorkflow, { taskQueue: worker.taskQueue, workflowId: id });
    const first = await run('maintenance-test-1');
    expect(first).toMatchObject({ accountsExpired: 1, pointsExpired: 70 });
    expect((await pointsBalance(t.db, accountId, new Date())).balance).toBe(0);
    const second = await run('maintenance-test-2');
    expect(second).toMatchObject({ accountsExpired: 0, pointsExpired: 0 });
    if (process.env.LOYALFLOW_RECORD_HISTORIES === '1') {
      const history = await worker.client.workflow.getHandle('maintenance-test-1').fetchHistory();
      writeFileSync(historyFile, JSON.stringify(JSON.parse(historyToJSON(history)), null, 2));
    }
  });
});
