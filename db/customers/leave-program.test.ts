import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { expireLots } from '../ledger/lot-jobs';
import { accruePoints, pointsBalance } from '../ledger/points';
import { customerAccount } from './accounts';
import { leaveProgram } from './leave-program';

let t: TestDatabase;
let programId: number;
const d = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

describe('leaving the program', () => {
  it('forfeits the points not expired by then; expired ones stay expired, before and after the expiry job', async () => {
    const customerId = await insertCustomer(t.db, programId, 'leaver');
    const accountId = await t.db
      .transaction()
      .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
    const accrue = (amount: number, expiresAt: Date | null) =>
      t.db.transaction().execute((trx) =>
        accruePoints(trx, {
          programId,
          occurredAt: d('2026-01-01T00:00:00Z'),
          actor: 'test',
          accountId,
          amount,
          lot: { activatesAt: d('2026-01-01T00:00:00Z'), expiresAt },
        }),
      );
    await accrue(100, d('2026-03-01T00:00:00Z'));
    await accrue(50, null);
    // Leaves on 5 March: the 100 expired on 1 March, the expiry job has not run yet.
    const left = await t.db.transaction().execute((trx) =>
      leaveProgram(trx, {
        programId,
        customerId,
        occurredAt: d('2026-03-05T00:00:00Z'),
        actor: 'test',
        reason: 'asked to',
      }),
    );
    expect(left).toEqual({ forfeited: 50 });
    const gone = { balance: 0, available: 0, pending: 0, expired: 100, debt: 0 };
    const asOf = () =>
      Promise.all(
        ['2026-03-02T00:00:00Z', '2026-03-10T00:00:00Z'].map((iso) => pointsBalance(t.db, accountId, d(iso))),
      );
    expect(await asOf()).toEqual([{ ...gone, balance: 50, available: 50 }, gone]);
    expect(await expireLots(t.db, { programId, at: d('2026-03-10T00:00:00Z') })).toEqual({
      accounts: 1,
      points: 100,
    });
    expect(await asOf()).toEqual([{ ...gone, balance: 50, available: 50 }, gone]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('is refused when dated before points the account holds, and forfeits nothing', async () => {
    const customerId = await insertCustomer(t.db, programId, 'backdated-leaver');
    const accountId = await t.db
      .transaction()
      .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
    await t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: d('2026-02-01T10:10:00Z'),
        actor: 'test',
        accountId,
        amount: 100,
        lot: { activatesAt: d('2026-02-01T10:10:00Z'), expiresAt: null },
      }),
    );
    const leave = (at: Date) =>
      t.db
        .transaction()
        .execute((trx) =>
          leaveProgram(trx, { programId, customerId, occurredAt: at, actor: 'test', reason: 'asked to' }),
        );
    await expect(leave(d('2026-02-01T10:05:00Z'))).rejects.toMatchObject({
      code: 'operations_after',
      status: 409,
      field: 'occurredAt',
      message: expect.stringContaining('at or after 2026-02-01T10:10:00.000Z'),
    });
    const status = () =>
      t.db.selectFrom('customers').select('status').where('id', '=', customerId).executeTakeFirstOrThrow();
    expect(await status()).toEqual({ status: 'active' });
    expect(await pointsBalance(t.db, accountId, d('2026-02-01T10:11:00Z'))).toMatchObject({ balance: 100 });
    expect(await leave(d('2026-02-01T10:10:00Z'))).toEqual({ forfeited: 100 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
