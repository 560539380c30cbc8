import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { customerAccount } from '../customers/accounts';
import { seedDemoProgram } from '../demo-program';
import { availableAt } from '../../engine/ledger/lots';
import { accruePoints, availablePoints, clawbackPoints, pointsBalance } from './points';
import { openLots, readAccount } from './store';

let t: TestDatabase;
let programId: number;
beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedDemoProgram(t.db))!.programId;
});
afterAll(async () => {
  await t.drop();
});

it('sums the spendable points in one query, as the engine does on the open lots, through activation, expiry and debt', async () => {
  const customerId = await insertCustomer(t.db, programId, 'available');
  const accountId = await t.db
    .transaction()
    .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  const d = (iso: string) => new Date(iso);
  const op = { programId, actor: 'test', accountId };
  await t.db.transaction().execute(async (trx) => {
    await accruePoints(trx, {
      ...op,
      occurredAt: d('2026-01-01T00:00:00Z'),
      amount: 100,
      lot: { activatesAt: d('2026-01-01T00:00:00Z'), expiresAt: d('2026-06-01T00:00:00Z') },
    });
    await accruePoints(trx, {
      ...op,
      occurredAt: d('2026-01-01T00:00:00Z'),
      amount: 40,
      lot: { activatesAt: d('2026-03-01T00:00:00Z'), expiresAt: null },
    });
  });
  const times = [
    '2025-12-31T00:00:00Z',
    '2026-02-01T00:00:00Z',
    '2026-03-01T00:00:00Z',
    '2026-06-01T00:00:00Z',
  ];
  const both = async () =>
    Promise.all(
      times.map(async (iso) => [
        await availablePoints(t.db, accountId, d(iso)),
        availableAt(await openLots(t.db, accountId), (await readAccount(t.db, accountId)).debt, d(iso)),
      ]),
    );
  for (const [mine, view] of await both()) expect(mine).toBe(view);
  expect((await both()).map(([mine]) => mine)).toEqual([0, 100, 140, 40]);
  await t.db
    .transaction()
    .execute((trx) =>
      clawbackPoints(trx, { ...op, occurredAt: d('2026-07-01T00:00:00Z'), amount: 60, policy: 'debt' }),
    );
  for (const [mine, view] of await both()) expect(mine).toBe(view);
});

it('is the as-of balance’s available points whenever nothing is dated after the time asked', async () => {
  const customerId = await insertCustomer(t.db, programId, 'available-now');
  const accountId = await t.db
    .transaction()
    .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  const d = (iso: string) => new Date(iso);
  const op = { programId, actor: 'test', accountId, occurredAt: d('2026-01-01T00:00:00Z') };
  await t.db.transaction().execute(async (trx) => {
    await accruePoints(trx, {
      ...op,
      amount: 100,
      lot: { activatesAt: d('2026-01-01T00:00:00Z'), expiresAt: d('2026-02-01T00:00:00Z') },
    });
    await accruePoints(trx, {
      ...op,
      amount: 40,
      lot: { activatesAt: d('2026-01-20T00:00:00Z'), expiresAt: null },
    });
    // Takes both lots and leaves a debt of 10, which the next 60 repay: 50 usable from 15 January.
    await clawbackPoints(trx, { ...op, amount: 150, policy: 'debt' });
    await accruePoints(trx, {
      ...op,
      amount: 60,
      lot: { activatesAt: d('2026-01-15T00:00:00Z'), expiresAt: null },
    });
  });
  const times = [
    '2026-01-01T00:00:00Z',
    '2026-01-10T00:00:00Z',
    '2026-01-20T00:00:00Z',
    '2026-03-01T00:00:00Z',
  ];
  const both = await Promise.all(
    times.map(async (iso) => [
      await availablePoints(t.db, accountId, d(iso)),
      (await pointsBalance(t.db, accountId, d(iso))).available,
    ]),
  );
  expect(both).toEqual([
    [0, 0],
    [0, 0],
    [50, 50],
    [50, 50],
  ]);
});
