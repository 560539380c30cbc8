import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount, findCustomerAccount } from './accounts';

let t: TestDatabase;
let programId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

describe('opening a customer account', () => {
  it('opens no account for a customer a merge holding its row merges away: the caller is told to try again', async () => {
    const survivor = await insertCustomer(t.db, programId, 'open-survivor');
    const merged = await insertCustomer(t.db, programId, 'open-merged');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    // A merge as merge-customers.ts takes it: the customer row held NO KEY UPDATE until it commits.
    const merge = t.db.transaction().execute(async (trx) => {
      await trx.selectFrom('customers').select('id').where('id', '=', merged).forNoKeyUpdate().execute();
      held();
      await released;
      await trx
        .updateTable('customers')
        .set({ status: 'merged', merged_into: survivor })
        .where('id', '=', merged)
        .execute();
    });
    await holding;
    const opening = t.db
      .transaction()
      .execute((trx) => customerAccount(trx, merged, 'points', 'bonus'))
      .then(
        () => 'opened',
        (error: { code?: string }) => error.code,
      );
    release();
    await merge;
    expect(await opening).toBe('try_again');
    expect(await findCustomerAccount(t.db, merged, 'points', 'bonus')).toBeNull();
  });
});
