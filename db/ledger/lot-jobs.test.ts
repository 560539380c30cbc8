import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { activateLots, expireLots } from './lot-jobs';
import { accruePoints, pointsBalance, spendPoints } from './points';
import { readAccount } from './store';

let t: TestDatabase;
let programId: number;
let accountId: number;
const d = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  const customerId = await insertCustomer(t.db, programId, 'lots');
  accountId = await t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  const accrue = (amount: number, activatesAt: string, expiresAt: string | null) =>
    t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: d('2026-01-01T00:00:00Z'),
        actor: 'test',
        accountId,
        amount,
        lot: { activatesAt: d(activatesAt), expiresAt: expiresAt ? d(expiresAt) : null },
      }),
    );
  await accrue(100, '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
  await accrue(50, '2026-02-15T00:00:00Z', '2026-06-01T00:00:00Z');
  await accrue(30, '2026-01-01T00:00:00Z', null);
});
afterAll(() => t.drop());

describe('lot activation and expiry jobs', () => {
  it('counts pending and expired points out of the available balance before any job runs, and expired out of the balance as of then', async () => {
    expect(await pointsBalance(t.db, accountId, d('2026-02-01T00:00:00Z'))).toMatchObject({
      available: 130,
      pending: 50,
    });
    expect(await pointsBalance(t.db, accountId, d('2026-03-02T00:00:00Z'))).toMatchObject({
      available: 80,
      expired: 100,
      balance: 80,
    });
  });

  it('activates due lots once and publishes an event for each', async () => {
    expect(await activateLots(t.db, { programId, at: d('2026-02-01T00:00:00Z') })).toBe(2);
    expect(await activateLots(t.db, { programId, at: d('2026-02-01T00:00:00Z') })).toBe(0);
    expect(await activateLots(t.db, { programId, at: d('2026-02-20T00:00:00Z') })).toBe(1);
    const events = await t.db
      .selectFrom('outbox')
      .select(['type', 'occurred_at'])
      .where('type', '=', 'points.activated')
      .execute();
    expect(events).toHaveLength(3);
  });

  it('burns exactly what expired, once, after part of the lot was spent', async () => {
    await t.db.transaction().execute((trx) =>
      spendPoints(trx, {
        programId,
        occurredAt: d('2026-02-20T00:00:00Z'),
        actor: 'test',
        accountId,
        amount: 40,
      }),
    );
    const first = await expireLots(t.db, { programId, at: d('2026-03-02T00:00:00Z') });
    expect(first).toEqual({ accounts: 1, points: 60 });
    expect(await expireLots(t.db, { programId, at: d('2026-03-02T00:00:00Z') })).toEqual({
      accounts: 0,
      points: 0,
    });
    expect(await pointsBalance(t.db, accountId, d('2026-03-02T00:00:00Z'))).toMatchObject({
      balance: 80,
      available: 80,
      expired: 60,
    });
    expect(await readAccount(t.db, accountId)).toMatchObject({ balance: 80, debt: 0 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
